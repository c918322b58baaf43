import Crypto

/// A join token in k3s's format: `K10<sha256 hex of the server CA PEM>::<user>:<password>`, or a bare password.
public struct NodeToken: Sendable, Hashable, CustomStringConvertible {
    /// The format prefix of full tokens.
    public static let prefix = "K10"
    /// The user name servers put in the tokens they write.
    public static let serverUser = "server"

    /// The pinned CA hash: 64 lowercase hex digits, or `nil` for a bare password (nothing pinned).
    public let caHash: String?
    /// The user part of the credentials, or `nil` when the token does not name one (bare password, `K10…:::pw`).
    public let username: String?
    /// The secret part of the credentials.
    public let password: String

    /// Creates a server token pinning `caPEM` (the exact bytes of `server-ca.crt`); a random secret when none is given.
    public init(caPEM: some Collection<UInt8>, password: String? = nil, username: String = NodeToken.serverUser)
        throws(PKIError)
    {
        let secret = password ?? Self.randomSecret()
        try Self.validateCredentials(username: username, password: secret)
        self.caHash = Self.hashCA(pem: caPEM)
        self.username = username
        self.password = secret
    }

    /// Creates a token from parts; `caHash` must be 64 hex digits when given.
    public init(caHash: String?, username: String?, password: String) throws(PKIError) {
        if let caHash {
            guard Self.isHexHash(caHash) else {
                throw PKIError(code: .invalidToken, message: "CA hash must be 64 hex digits, got '\(caHash)'")
            }
        }
        if let username {
            try Self.validateCredentials(username: username, password: password)
        } else if password.isEmpty {
            throw PKIError(code: .invalidToken, message: "token password must not be empty")
        }
        self.caHash = caHash?.lowercased()
        self.username = username
        self.password = password
    }

    /// Parses a token as given on the command line or read from a token file (surrounding whitespace is ignored).
    public init(parsing text: String) throws(PKIError) {
        let token = text.trimmingASCIIWhitespace()
        guard !token.isEmpty else {
            throw PKIError(code: .invalidToken, message: "token must not be empty")
        }
        guard token.hasPrefix(Self.prefix) else {
            // k3s treats anything without the prefix as a bare password with no CA pinned.
            self.caHash = nil
            self.username = nil
            self.password = token
            return
        }
        guard let separator = token.range(of: "::") else {
            throw PKIError(
                code: .invalidToken,
                message: "token starts with '\(Self.prefix)' but has no '::' between the CA hash and the credentials"
            )
        }
        let hashText = String(token[token.index(token.startIndex, offsetBy: Self.prefix.count)..<separator.lowerBound])
        let credentials = token[separator.upperBound...]
        if hashText.isEmpty {
            self.caHash = nil
        } else if Self.isHexHash(hashText) {
            self.caHash = hashText.lowercased()
        } else {
            throw PKIError(
                code: .invalidToken,
                message: "CA hash in token must be 64 hex digits (sha256), got \(hashText.count) characters"
            )
        }
        if !credentials.contains(":"), Self.isBootstrapToken(credentials) {
            // `K10<hash>::<id>.<secret>`: a bootstrap token (`skiff token create`), sent as the bearer token.
            self.username = nil
            self.password = String(credentials)
            return
        }
        guard let colon = credentials.firstIndex(of: ":") else {
            throw PKIError(
                code: .invalidToken,
                message: "token credentials must be '<user>:<password>' after '::'"
            )
        }
        let user = String(credentials[..<colon])
        let password = String(credentials[credentials.index(after: colon)...])
        guard !password.isEmpty else {
            throw PKIError(code: .invalidToken, message: "token password must not be empty")
        }
        self.username = user.isEmpty ? nil : user
        self.password = password
    }

    /// Whether `credentials` has a bootstrap token's shape, `<id>.<secret>` (6 and 16 characters of `[a-z0-9]`).
    public static func isBootstrapToken(_ credentials: some StringProtocol) -> Bool {
        let parts = credentials.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count == 6 && parts[1].count == 16
            && parts.allSatisfy { $0.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) } }
    }

    /// The token text: `K10<hash>::<user>:<password>`, `K10::<user>:<password>` without a hash, `K10<hash>::<id>.<secret>`
    /// for a bootstrap token, or the bare password.
    public var text: String {
        if self.caHash == nil && self.username == nil {
            return self.password
        }
        if self.username == nil, Self.isBootstrapToken(self.password) {
            return "\(Self.prefix)\(self.caHash ?? "")::\(self.password)"
        }
        return "\(Self.prefix)\(self.caHash ?? "")::\(self.username ?? ""):\(self.password)"
    }

    /// The token text with the password hidden, for logs.
    public var description: String {
        if self.caHash == nil && self.username == nil {
            return "<password>"
        }
        return "\(Self.prefix)\(self.caHash ?? "")::\(self.username ?? ""):<redacted>"
    }

    /// The outcome of checking a CA bundle against the token.
    public enum CAHashCheck: Sendable, Hashable {
        /// The bundle's hash equals the pinned hash.
        case matched
        /// The token pins no hash, so nothing was checked (k3s logs a warning and goes on).
        case notPinned
        /// The bundle's hash differs from the pinned hash.
        case mismatched(actual: String)
    }

    /// Compares the SHA-256 of `pem` (the exact bytes served at `/cacerts`) with the pinned hash.
    public func verifyCAHash(pem: some Collection<UInt8>) -> CAHashCheck {
        guard let caHash = self.caHash else {
            return .notPinned
        }
        let actual = Self.hashCA(pem: pem)
        return Self.constantTimeEquals(actual, caHash) ? .matched : .mismatched(actual: actual)
    }

    /// Whether `candidate` equals this token's password, compared in constant time.
    public func passwordMatches(_ candidate: String) -> Bool {
        Self.constantTimeEquals(self.password, candidate)
    }

    /// Lowercase hex SHA-256 of `pem`, as k3s hashes a single-certificate CA file.
    public static func hashCA(pem: some Collection<UInt8>) -> String {
        hexString(SHA256.hash(data: Array(pem)))
    }

    /// A fresh secret: 16 random bytes as 32 hex digits, as k3s generates its server password.
    public static func randomSecret() -> String {
        hexString(randomBytes(16))
    }

    /// Compares two secrets without an early exit, so timing reveals at most their lengths.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference: UInt8 = left.count == right.count ? 0 : 1
        let length = max(left.count, right.count)
        for index in 0..<length {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    private static func isHexHash(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
            }
    }

    private static func validateCredentials(username: String, password: String) throws(PKIError) {
        guard !username.isEmpty, !username.contains(":") else {
            throw PKIError(code: .invalidToken, message: "token user must be non-empty and contain no ':'")
        }
        guard !password.isEmpty else {
            throw PKIError(code: .invalidToken, message: "token password must not be empty")
        }
        guard !password.contains(where: { $0.isWhitespace }) else {
            throw PKIError(code: .invalidToken, message: "token password must not contain whitespace")
        }
    }
}
