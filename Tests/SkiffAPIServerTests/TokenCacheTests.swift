import Foundation
import Logging
import SkiffPKI
import Synchronization
import Testing

@testable import SkiffAPIServer

/// Verified service account token claims are reused briefly, never past the token's expiry; revocation stays immediate.
@Suite struct TokenCacheTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(lifetime: Int64, name: String = "builder") -> ServiceAccountClaims {
        ServiceAccountClaims(
            issuer: ServiceAccountKey.issuer, namespace: "apps", name: name, uid: "uid-1",
            audiences: ServiceAccountKey.apiAudiences, now: start, lifetime: lifetime)
    }

    @Test func entriesLiveTheirTTLAtMostAndNeverPastExpiry() {
        let cache = TokenCache(ttl: 10, capacity: 8)
        cache.insert("a", claims: Self.claims(lifetime: 3600), now: Self.start)
        cache.insert("b", claims: Self.claims(lifetime: 4), now: Self.start)
        cache.insert("gone", claims: Self.claims(lifetime: 0), now: Self.start)
        #expect(cache.claims(for: "a", now: Self.start + 9.9)?.expiresAt == Self.claims(lifetime: 3600).expiresAt)
        #expect(cache.claims(for: "a", now: Self.start + 10) == nil, "ttl")
        #expect(cache.claims(for: "b", now: Self.start + 3.9) != nil)
        #expect(cache.claims(for: "b", now: Self.start + 4) == nil, "exp comes before the ttl")
        #expect(cache.claims(for: "gone", now: Self.start) == nil, "an expired token is not cached")
        #expect(cache.count == 0, "stale entries are dropped when looked up")
    }

    @Test func sizeIsBounded() {
        let cache = TokenCache(ttl: 200, capacity: 3)
        for index in 0..<3 {
            cache.insert("t\(index)", claims: Self.claims(lifetime: 100 + Int64(index)), now: Self.start)
        }
        cache.insert("new", claims: Self.claims(lifetime: 3600), now: Self.start + 1)
        #expect(cache.count == 3)
        #expect(cache.claims(for: "new", now: Self.start + 1) != nil)
        #expect(cache.claims(for: "t0", now: Self.start + 1) == nil, "the entry closest to its end made room")
        // Expired entries make room before live ones.
        cache.insert("later", claims: Self.claims(lifetime: 3600), now: Self.start + 150)
        #expect(cache.count == 2)
    }

    @Test func cachedTokensAreStillRevokedAtOnceAndExpireOnTime() async throws {
        let key = try ServiceAccountKey.generate()
        let token = try key.sign(Self.claims(lifetime: 600))
        let clock = Mutex(Self.start)
        let live = Mutex<String?>("uid-1")
        let cache = TokenCache(ttl: 60)
        let authenticator = ServiceAccountTokenAuthenticator(
            key: key, audiences: ServiceAccountKey.apiAudiences, liveUID: { _, _, _ in live.withLock { $0 } },
            now: { clock.withLock { $0 } }, cache: cache, logger: Logger(label: "test"))

        #expect(await authenticator.authenticate(token)?.name == "system:serviceaccount:apps:builder")
        #expect(cache.count == 1)
        #expect(await authenticator.authenticate(token) != nil)
        // A tampered token is never served from the cache, nor cached.
        #expect(await authenticator.authenticate(token + "x") == nil)
        #expect(cache.count == 1)
        // Deleting the account revokes the cached token at once.
        live.withLock { $0 = nil }
        #expect(await authenticator.authenticate(token) == nil)
        live.withLock { $0 = "uid-1" }
        #expect(await authenticator.authenticate(token) != nil)
        // Past exp the cache does not help.
        clock.withLock { $0 = Self.start + 600 }
        #expect(await authenticator.authenticate(token) == nil)
        #expect(cache.count == 0)
    }
}
