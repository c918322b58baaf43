import Foundation
import NIOCore
import NIOSSL
import SkiffModel
import SkiffPKI
import X509

/// Who made a request.
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var groups: [String]

    public init(name: String, groups: [String]) {
        self.name = name
        self.groups = groups
    }

    public var isAdmin: Bool { groups.contains("system:masters") }
}

/// Authenticates requests by TLS client certificate (verified against the client CA during the handshake), by a
/// service account token (a JWT signed with the service account key), or by the cluster's join secret presented as a
/// bearer token or basic-auth password (agents before they have a certificate).
public struct Authenticator: Sendable {
    /// The join secret (the password part of the node token); nil disables join-secret authentication.
    let joinSecret: String?
    /// Service account token authentication; nil disables it.
    let serviceAccounts: ServiceAccountTokenAuthenticator?

    public init(joinSecret: String?, serviceAccounts: ServiceAccountTokenAuthenticator? = nil) {
        self.joinSecret = joinSecret
        self.serviceAccounts = serviceAccounts
    }

    func authenticate(peerCertificate: NIOSSLCertificate?, authorization: String?) async -> UserInfo? {
        if let user = Self.user(peerCertificate: peerCertificate) { return user }
        return await authenticate(authorization: authorization)
    }

    /// The user a verified TLS client certificate names (CN, O as groups); nil without a usable one. Depends on the
    /// connection only, so the responder derives it once per connection.
    static func user(peerCertificate: NIOSSLCertificate?) -> UserInfo? {
        guard let peerCertificate, let der = try? peerCertificate.toDERBytes(),
            let certificate = try? Certificate(derEncoded: der), let identity = try? ClientIdentity(certificate: certificate)
        else { return nil }
        return UserInfo(name: identity.user, groups: identity.groups + ["system:authenticated"])
    }

    /// The user the `Authorization` header's bearer token or basic credentials authenticate; nil if none.
    func authenticate(authorization: String?) async -> UserInfo? {
        guard let authorization else { return nil }
        if authorization.hasPrefix("Bearer ") {
            let token = String(authorization.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            // A user-chosen join secret may contain dots too, so a JWT-shaped token that fails still gets compared.
            if let serviceAccounts, ServiceAccountTokenAuthenticator.looksLikeJWT(token),
                let user = await serviceAccounts.authenticate(token)
            {
                return user
            }
            guard let joinSecret else { return nil }
            let presented = (try? NodeToken(parsing: token))?.password ?? token
            if NodeToken.constantTimeEquals(presented, joinSecret) { return Self.node }
        } else if let joinSecret, authorization.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst("Basic ".count))),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            let user = text[..<colon]
            let password = String(text[text.index(after: colon)...])
            if ["node", "server"].contains(user), NodeToken.constantTimeEquals(password, joinSecret) { return Self.node }
        }
        return nil
    }

    static let node = UserInfo(name: "node", groups: ["system:nodes", "system:authenticated"])
}
