import Foundation

/// Why a service account token was refused: a stable `code` and a readable `message`.
public struct ServiceAccountTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong with the token.
    public enum Code: String, Sendable, Hashable {
        /// Not a well-formed JWS/JWT, or its claims are not a service account's.
        case malformed
        /// The header names an algorithm other than the one the key signs with (including `none`).
        case unsupportedAlgorithm
        /// The signature does not verify with the service account key.
        case badSignature
        /// Issued by someone else.
        case wrongIssuer
        /// None of the token's audiences is one the server accepts.
        case wrongAudience
        /// Past `exp`.
        case expired
        /// Before `nbf`.
        case notYetValid
        /// `sub` is not the `system:serviceaccount:` name of the `kubernetes.io` claim.
        case notServiceAccount
        /// The service account, or the object the token is bound to, was deleted (or recreated with a new uid).
        case revoked
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func malformed(_ reason: String) -> Self { Self(.malformed, "malformed token: \(reason)") }
}

/// The claims of a Kubernetes service account token, as kube-apiserver writes them.
public struct ServiceAccountClaims: Sendable, Hashable, Codable {
    /// An object the token is bound to (`kubernetes.io.pod`, `kubernetes.io.secret`).
    public struct BoundObject: Sendable, Hashable, Codable {
        public var name: String
        public var uid: String

        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    /// The private `kubernetes.io` claim.
    public struct Kubernetes: Sendable, Hashable, Codable {
        public var namespace: String
        public var serviceaccount: BoundObject
        public var pod: BoundObject?
        public var secret: BoundObject?

        public init(namespace: String, serviceaccount: BoundObject, pod: BoundObject? = nil, secret: BoundObject? = nil)
        {
            self.namespace = namespace
            self.serviceaccount = serviceaccount
            self.pod = pod
            self.secret = secret
        }
    }

    public var issuer: String
    public var subject: String
    public var audiences: [String]
    public var expiresAt: Int64
    public var issuedAt: Int64
    public var notBefore: Int64
    public var id: String?
    public var kubernetes: Kubernetes

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audiences = "aud", expiresAt = "exp", issuedAt = "iat", notBefore = "nbf"
        case id = "jti", kubernetes = "kubernetes.io"
    }

    /// Claims for `namespace/name` valid from `now` for `lifetime` seconds.
    public init(
        issuer: String, namespace: String, name: String, uid: String, audiences: [String], now: Date, lifetime: Int64,
        pod: BoundObject? = nil, secret: BoundObject? = nil, id: String? = UUID().uuidString.lowercased()
    ) {
        let start = Int64(now.timeIntervalSince1970.rounded(.down))
        self.issuer = issuer
        self.subject = Self.username(namespace: namespace, name: name)
        self.audiences = audiences
        self.issuedAt = start
        self.notBefore = start
        self.expiresAt = start + lifetime
        self.id = id
        self.kubernetes = Kubernetes(
            namespace: namespace, serviceaccount: BoundObject(name: name, uid: uid), pod: pod, secret: secret)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decode(String.self, forKey: .issuer)
        subject = try container.decode(String.self, forKey: .subject)
        // RFC 7519 §4.1.3: a single audience may be a plain string.
        if let single = try? container.decode(String.self, forKey: .audiences) {
            audiences = [single]
        } else {
            audiences = try container.decode([String].self, forKey: .audiences)
        }
        expiresAt = try container.decode(Int64.self, forKey: .expiresAt)
        issuedAt = try container.decodeIfPresent(Int64.self, forKey: .issuedAt) ?? 0
        notBefore = try container.decodeIfPresent(Int64.self, forKey: .notBefore) ?? 0
        id = try container.decodeIfPresent(String.self, forKey: .id)
        kubernetes = try container.decode(Kubernetes.self, forKey: .kubernetes)
    }

    /// `system:serviceaccount:NS:NAME`.
    public static func username(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    public var namespace: String { kubernetes.namespace }
    public var serviceAccountName: String { kubernetes.serviceaccount.name }
    public var serviceAccountUID: String { kubernetes.serviceaccount.uid }
    public var expirationDate: Date { Date(timeIntervalSince1970: TimeInterval(expiresAt)) }

    /// The groups a service account belongs to.
    public var groups: [String] {
        ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"]
    }

    /// Decodes a claims set; anything that is not one is `.malformed`.
    public static func decode(_ payload: [UInt8]) throws(ServiceAccountTokenError) -> ServiceAccountClaims {
        do {
            return try JSONDecoder().decode(ServiceAccountClaims.self, from: Data(payload))
        } catch {
            throw .malformed("the claims are not a service account claims set")
        }
    }

    /// The claims set as JSON (keys sorted).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Checks issuer, audience, validity window and subject; pure. `leeway` absorbs clock skew for `nbf` only: a
    /// token is expired from its `exp` second on.
    public func validate(
        issuer expectedIssuer: String, audiences accepted: [String], now: Date, leeway: TimeInterval = 60
    ) throws(ServiceAccountTokenError) {
        guard issuer == expectedIssuer else { throw .init(.wrongIssuer, "token issued by \(issuer)") }
        guard audiences.contains(where: accepted.contains) else {
            throw .init(.wrongAudience, "token audiences \(audiences) are not accepted")
        }
        let seconds = now.timeIntervalSince1970
        guard TimeInterval(expiresAt) > seconds else { throw .init(.expired, "token expired at \(expirationDate)") }
        guard TimeInterval(notBefore) <= seconds + leeway else {
            throw .init(.notYetValid, "token not valid before \(Date(timeIntervalSince1970: TimeInterval(notBefore)))")
        }
        guard subject == Self.username(namespace: namespace, name: serviceAccountName),
            !namespace.isEmpty, !serviceAccountName.isEmpty
        else {
            throw .init(.notServiceAccount, "subject \(subject) is not a service account")
        }
    }
}
