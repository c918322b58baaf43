/// Why a checked write into a JSON value failed.
public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// A step needs an object (or `null`) or an array but found another kind of value.
        case typeMismatch
        /// An index is outside the array (appending at `count` is allowed).
        case indexOutOfRange
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation naming the offending path.
    public var message: String
    /// The path up to and including the step that failed.
    public var path: [JSONPathComponent]

    /// Creates an error.
    public init(code: Code, message: String, path: [JSONPathComponent]) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// The message.
    public var description: String { message }
}
