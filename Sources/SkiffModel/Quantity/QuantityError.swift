/// A string that is not a quantity, with upstream's messages (`resource.ErrFormatWrong` and friends).
public struct QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which rule failed.
    public enum Code: String, Sendable, Hashable {
        /// Not `<signedNumber><suffix>`.
        case formatWrong
        /// The number part does not parse.
        case numeric
        /// The suffix is not one of the known ones.
        case suffix
        /// The magnitude is beyond what this implementation represents (about 1.7e29).
        case tooLarge
    }

    /// Which rule failed.
    public var code: Code
    /// The message.
    public var message: String

    /// An error of `code` with upstream's message.
    public init(_ code: Code) {
        self.code = code
        switch code {
        case .formatWrong:
            message = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        case .numeric:
            message = "unable to parse numeric part of quantity"
        case .suffix:
            message = "unable to parse quantity's suffix"
        case .tooLarge:
            message = "quantity is too large"
        }
    }

    /// The message.
    public var description: String { message }

    /// 400 BadRequest; validation that reports quantities field by field builds its own 422 causes.
    public var apiError: APIError { .badRequest(message) }
}
