/// A failure of the client side of joining or talking to a server (not an API answer: those are `APIError`s).
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// A broad category, stable enough to switch on.
    public enum Code: String, Sendable, Hashable {
        /// The join token is malformed or does not pin the server's CA.
        case invalidToken
        /// The server URL is not an https URL.
        case invalidServer
        /// The CA served at `/cacerts` does not hash to the value pinned in the token.
        case caHashMismatch
        /// A certificate or key could not be loaded.
        case invalidCredentials
        /// The server refused the credentials.
        case unauthorized
        /// The server answered in a way that retrying cannot fix.
        case unexpectedResponse
        /// The caller was cancelled (shutdown) before the operation finished.
        case cancelled
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message) (\(cause))"
    }
}
