import SkiffPKI

/// The token an agent joins with: `K10<sha256 of the server CA PEM>::<user>:<secret>`. Unlike the server, the agent
/// requires the CA hash — it is the only thing that lets it trust the CA it downloads from an unverified `/cacerts`.
public struct JoinToken: Sendable, CustomStringConvertible {
    /// 64 lowercase hex digits.
    public let caHash: String
    /// The secret sent as the bearer token.
    public let secret: String

    public init(parsing text: String) throws(ClientError) {
        let token: NodeToken
        do {
            token = try NodeToken(parsing: text)
        } catch {
            throw ClientError(.invalidToken, "invalid join token: \(error.message)")
        }
        guard let hash = token.caHash else {
            throw ClientError(
                .invalidToken,
                "the join token does not pin the server's CA hash: use the full token from <data-dir>/server/node-token "
                    + "on the server (K10<sha256>::server:<secret>); a bare secret cannot verify the server")
        }
        self.caHash = hash
        self.secret = token.password
    }

    /// Checks the bytes served at `/cacerts` against the pinned hash; they become the only trust root when they match.
    public func verify(caPEM: [UInt8]) throws(ClientError) {
        let actual = NodeToken.hashCA(pem: caPEM)
        guard NodeToken.constantTimeEquals(actual, caHash) else {
            throw ClientError(
                .caHashMismatch,
                "the server's CA certificate has hash sha256:\(actual), but the token pins CA hash sha256:\(caHash): "
                    + "the token belongs to another server, or something is intercepting the connection")
        }
    }

    /// Hides the secret.
    public var description: String { "K10\(caHash)::server:<redacted>" }
}
