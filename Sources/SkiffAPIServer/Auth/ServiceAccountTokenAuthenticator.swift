import Foundation
import Logging
import SkiffModel
import SkiffPKI

/// Authenticates bearer tokens signed with the service account key: signature, issuer, audience and lifetime are
/// checked by `ServiceAccountKey.verify` (pure), then the service account — and the pod or secret the token is bound
/// to — must still exist with the uid recorded in the token, so deleting the account revokes its tokens.
public struct ServiceAccountTokenAuthenticator: Sendable {
    /// The uid of a live core/v1 object (`serviceaccounts`, `pods`, `secrets`), or nil when it does not exist.
    public typealias LiveUID = @Sendable (_ resource: String, _ namespace: String, _ name: String) async -> String?

    let key: ServiceAccountKey
    let audiences: [String]
    let liveUID: LiveUID
    let now: @Sendable () -> Date
    let logger: Logger
    /// Recent successful signature and claim checks (controllers and kubelets send the same token on every request).
    let cache: TokenCache

    public init(
        key: ServiceAccountKey, audiences: [String] = ServiceAccountKey.apiAudiences, liveUID: @escaping LiveUID,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.init(key: key, audiences: audiences, liveUID: liveUID, now: now, cache: TokenCache(), logger: logger)
    }

    init(
        key: ServiceAccountKey, audiences: [String], liveUID: @escaping LiveUID, now: @escaping @Sendable () -> Date,
        cache: TokenCache, logger: Logger
    ) {
        self.cache = cache
        self.key = key
        self.audiences = audiences
        self.liveUID = liveUID
        self.now = now
        self.logger = logger
    }

    /// Whether `token` is shaped like a JWT (and so is ours to judge, not the join secret's).
    static func looksLikeJWT(_ token: String) -> Bool {
        var dots = 0
        for byte in token.utf8 where byte == UInt8(ascii: ".") {
            dots += 1
            if dots > 2 { return false }
        }
        return dots == 2
    }

    /// The service account's identity, or nil (logged at debug) when the token does not authenticate.
    func authenticate(_ token: String) async -> UserInfo? {
        do {
            let claims = try await verify(token)
            var extra: [String: [String]] = [:]
            if let pod = claims.kubernetes.pod {
                extra["authentication.kubernetes.io/pod-name"] = [pod.name]
                extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
            }
            return UserInfo(name: claims.subject, groups: claims.groups, uid: claims.serviceAccountUID, extra: extra)
        } catch {
            logger.debug(
                "service account token refused",
                metadata: ["reason": "\(error.code.rawValue)", "error": "\(error.message)"])
            return nil
        }
    }

    func verify(_ token: String) async throws(ServiceAccountTokenError) -> ServiceAccountClaims {
        let now = self.now()
        let claims: ServiceAccountClaims
        if let cached = cache.claims(for: token, now: now) {
            claims = cached
        } else {
            claims = try key.verify(token, audiences: audiences, now: now)
            cache.insert(token, claims: claims, now: now)
        }
        let namespace = claims.namespace
        guard await liveUID("serviceaccounts", namespace, claims.serviceAccountName) == claims.serviceAccountUID else {
            throw .init(.revoked, "service account \(namespace)/\(claims.serviceAccountName) no longer exists")
        }
        if let pod = claims.kubernetes.pod, await liveUID("pods", namespace, pod.name) != pod.uid {
            throw .init(.revoked, "pod \(namespace)/\(pod.name) the token is bound to no longer exists")
        }
        if let secret = claims.kubernetes.secret, await liveUID("secrets", namespace, secret.name) != secret.uid {
            throw .init(.revoked, "secret \(namespace)/\(secret.name) the token is bound to no longer exists")
        }
        return claims
    }
}
