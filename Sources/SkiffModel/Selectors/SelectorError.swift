/// A label or field selector that cannot be parsed or is not supported for a resource; the API server answers
/// 400 BadRequest with the message, as upstream does.
public struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message, worded like upstream's.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// 400 BadRequest with the message.
    public var apiError: APIError { .badRequest(message) }
}
