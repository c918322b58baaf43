import Foundation
import NIOCore
import NIOSSL
import SkiffModel
import SkiffPKI
import X509

/// Authenticates requests by TLS client certificate (verified against the client CA during the handshake), by a
/// service account token (a JWT signed with the service account key), by a bootstrap token (`<id>.<secret>`, valid
/// while its Secret exists and has not expired), or by the cluster's join secret presented as a bearer token or
/// basic-auth password (the server token). Both tokens only let an agent get its node certificate.
public struct Authenticator: Sendable {
    /// The join secret (the password part of the node token); nil disables join-secret authentication.
    let joinSecret: String?
    /// Service account token authentication; nil disables it.
    let serviceAccounts: ServiceAccountTokenAuthenticator?
    /// The Secret `kube-system/<name>` (bootstrap tokens live there), or nil; nil disables bootstrap tokens.
    public typealias SecretLookup = @Sendable (_ name: String) async -> JSON?
    let bootstrapSecrets: SecretLookup?
    let now: @Sendable () -> Date
    /// Bearer tokens with fixed users, as kube-apiserver's `--token-auth-file` (for tools and tests).
    let staticTokens: [String: UserInfo]

    public init(
        joinSecret: String?, serviceAccounts: ServiceAccountTokenAuthenticator? = nil,
        bootstrapSecrets: SecretLookup? = nil, staticTokens: [String: UserInfo] = [:],
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.staticTokens = staticTokens
        self.joinSecret = joinSecret
        self.serviceAccounts = serviceAccounts
        self.bootstrapSecrets = bootstrapSecrets
        self.now = now
    }

    func authenticate(peerCertificate: NIOSSLCertificate?, authorization: String?) async -> UserInfo? {
        if let user = Self.user(peerCertificate: peerCertificate) { return user }
        return await authenticate(authorization: authorization)
    }

    /// The user a verified TLS client certificate names (CN, O as groups); nil without a usable one. Depends on the
    /// connection only, so the responder derives it once per connection.
    static func user(peerCertificate: NIOSSLCertificate?) -> UserInfo? {
        guard let peerCertificate, let der = try? peerCertificate.toDERBytes(),
            let certificate = try? Certificate(derEncoded: der),
            let identity = try? ClientIdentity(certificate: certificate)
        else { return nil }
        return UserInfo(name: identity.user, groups: identity.groups + ["system:authenticated"])
    }

    /// The user the `Authorization` header's bearer token or basic credentials authenticate; nil if none.
    func authenticate(authorization: String?) async -> UserInfo? {
        guard let authorization else { return nil }
        if authorization.hasPrefix("Bearer ") {
            let token = Self.trimmedSpaces(authorization.utf8.dropFirst("Bearer ".utf8.count))
            if let user = staticTokens.first(where: { NodeToken.constantTimeEquals($0.key, token) })?.value {
                return user
            }
            // A user-chosen join secret may contain dots too, so a JWT-shaped token that fails still gets compared.
            if let serviceAccounts, ServiceAccountTokenAuthenticator.looksLikeJWT(token),
                let user = await serviceAccounts.authenticate(token)
            {
                return user
            }
            if let bootstrapSecrets, let bootstrap = BootstrapToken(token),
                let secret = await bootstrapSecrets(bootstrap.secretName),
                let extraGroups = bootstrap.groups(validatedBy: secret, now: now())
            {
                return UserInfo(
                    name: "system:bootstrap:\(bootstrap.id)",
                    groups: ["system:bootstrappers"] + extraGroups + ["system:authenticated"])
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
            if ["node", "server"].contains(user), NodeToken.constantTimeEquals(password, joinSecret) {
                return Self.node
            }
        }
        return nil
    }

    /// The token without surrounding spaces and tabs, on the UTF-8 bytes (Foundation's `trimmingCharacters` goes
    /// through UTF-16 and cost more than the rest of token authentication).
    static func trimmedSpaces(_ bytes: Substring.UTF8View) -> String {
        var bytes = bytes
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { bytes.removeFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        return String(Substring(bytes))
    }

    /// The server token's user, as k3s' `node` user (group `k3s:agent`): it may join nodes, nothing more.
    static let node = UserInfo(name: "node", groups: [UserInfo.joinGroup, "system:authenticated"])
}
