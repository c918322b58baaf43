/// Why a protobuf request body could not be turned into JSON.
public struct ProtobufDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The body does not start with the `k8s\0` magic or its `runtime.Unknown` envelope is incomplete.
        case invalidEnvelope
        /// The envelope names an `apiVersion`/`kind` with no schema.
        case unknownKind
        /// The envelope declares a `contentEncoding` (such as gzip) that is not supported.
        case unsupportedEncoding
        /// The input ended inside a field.
        case truncated
        /// A varint longer than ten bytes or wider than 64 bits.
        case malformedVarint
        /// A wire type that is not 0, 1, 2 or 5, a field number out of range, or a wire type that does not fit the
        /// field's schema type.
        case invalidWireType
        /// Messages nest deeper than the decoder allows.
        case exceededMaxDepth
        /// A value that has no JSON form (a time outside years 0–9999, an unknown IntOrString type).
        case invalidValue
        /// An embedded raw JSON value (`RawExtension`, `FieldsV1`) that does not parse.
        case invalidEmbeddedJSON
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The byte offset in the decoded buffer where the problem was found.
    public var offset: Int

    /// Creates an error.
    public init(code: Code, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// The message with the code and offset.
    public var description: String { "\(code.rawValue) at byte \(offset): \(message)" }
}
