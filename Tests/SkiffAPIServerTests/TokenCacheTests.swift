import Foundation
import Logging
import SkiffPKI
import Synchronization
import Testing

@testable import SkiffAPIServer

/// Successful service account token verifications are reused briefly, never past the token's expiry.
@Suite struct TokenCacheTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let user = UserInfo(name: "system:serviceaccount:apps:builder", groups: ["system:authenticated"])

    @Test func entriesLiveTheirTTLAtMostAndNeverPastExpiry() {
        let cache = TokenCache(ttl: 10, capacity: 8)
        cache.insert("a", user: Self.user, expiresAt: Self.start + 3600, now: Self.start)
        cache.insert("b", user: Self.user, expiresAt: Self.start + 4, now: Self.start)
        cache.insert("gone", user: Self.user, expiresAt: Self.start, now: Self.start)
        #expect(cache.user(for: "a", now: Self.start + 9.9) == Self.user)
        #expect(cache.user(for: "a", now: Self.start + 10) == nil, "ttl")
        #expect(cache.user(for: "b", now: Self.start + 3.9) == Self.user)
        #expect(cache.user(for: "b", now: Self.start + 4) == nil, "exp comes before the ttl")
        #expect(cache.user(for: "gone", now: Self.start) == nil, "an expired token is not cached")
        #expect(cache.count == 0, "stale entries are dropped when looked up")
    }

    @Test func sizeIsBounded() {
        let cache = TokenCache(ttl: 10, capacity: 3)
        for index in 0..<3 {
            cache.insert("t\(index)", user: Self.user, expiresAt: Self.start + 100 + Double(index), now: Self.start)
        }
        cache.insert("new", user: Self.user, expiresAt: Self.start + 3600, now: Self.start + 1)
        #expect(cache.count == 3)
        #expect(cache.user(for: "new", now: Self.start + 1) == Self.user)
        #expect(cache.user(for: "t0", now: Self.start + 1) == nil, "the entry closest to its end made room")
        // Expired entries make room before live ones.
        cache.insert("later", user: Self.user, expiresAt: Self.start + 3600, now: Self.start + 20)
        #expect(cache.count == 1)
    }

    @Test func aCachedTokenSkipsVerificationUntilTheTTLAndRevocationThenApplies() async throws {
        let key = try ServiceAccountKey.generate()
        let claims = ServiceAccountClaims(
            issuer: ServiceAccountKey.issuer, namespace: "apps", name: "builder", uid: "uid-1",
            audiences: ServiceAccountKey.apiAudiences, now: Self.start, lifetime: 3600)
        let token = try key.sign(claims)
        let clock = Mutex(Self.start)
        let live = Mutex<String?>("uid-1")
        let lookups = Atomic(0)
        let authenticator = ServiceAccountTokenAuthenticator(
            key: key, audiences: ServiceAccountKey.apiAudiences,
            liveUID: { _, _, _ in
                lookups.add(1, ordering: .relaxed)
                return live.withLock { $0 }
            }, now: { clock.withLock { $0 } }, cache: TokenCache(ttl: 10), logger: Logger(label: "test"))

        #expect(await authenticator.authenticate(token)?.name == "system:serviceaccount:apps:builder")
        #expect(lookups.load(ordering: .relaxed) == 1)
        for _ in 0..<5 { #expect(await authenticator.authenticate(token) != nil) }
        #expect(lookups.load(ordering: .relaxed) == 1, "cache hits look nothing up")

        // The account is deleted: refused once the cached verification has aged out, and failures are not cached.
        live.withLock { $0 = nil }
        clock.withLock { $0 = Self.start + 10 }
        #expect(await authenticator.authenticate(token) == nil)
        #expect(await authenticator.authenticate(token) == nil)
        #expect(lookups.load(ordering: .relaxed) == 3)
        // A tampered token is never served from the cache.
        #expect(await authenticator.authenticate(token + "x") == nil)
    }
}
