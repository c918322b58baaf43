/// Why bytes (or text) could not be read as a DNS message or name: a code, a message, and the byte offset where
/// reading stopped.
public struct DNSParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The input ended inside a field.
        case truncated
        /// A compression pointer that points forward, at itself, or past the end, or too many of them in one name.
        case badPointer
        /// A label longer than 63 bytes.
        case labelTooLong
        /// A name longer than 255 bytes in wire form.
        case nameTooLong
        /// A label type other than a plain label or a pointer (the reserved `0b01` and `0b10` prefixes).
        case badLabelType
        /// Record data whose length does not match its type.
        case badRecordData
        /// An OPT record that is repeated, not owned by the root, or outside the additional section.
        case badOPT
        /// Text that is not a domain name (an empty label, a bad escape).
        case badText
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, for logs.
    public var message: String
    /// The byte offset where reading stopped (for text, the character offset).
    public var offset: Int

    /// Creates an error.
    public init(code: Code, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// The message with its offset.
    public var description: String { "\(message) (at byte \(offset))" }
}
