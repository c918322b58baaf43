import Foundation
import SkiffPKI
import Synchronization

/// Service account tokens whose signature and claims verified recently, by token text. A hit skips the RS256
/// signature check and the JWT parse — what a token cannot change — but not the lookups of the service account and its
/// bound object, so deleting the account still revokes its tokens at once. An entry lives `ttl` at most and never
/// past the token's `exp`; only successes are cached. At `capacity` the entry closest to its end is dropped.
final class TokenCache: Sendable {
    private struct Entry {
        var claims: ServiceAccountClaims
        var validUntil: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let ttl: TimeInterval
    let capacity: Int

    init(ttl: TimeInterval = 60, capacity: Int = 1024) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The claims `token` verified with, if that was less than `ttl` ago and the token has not expired since.
    func claims(for token: String, now: Date) -> ServiceAccountClaims? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.validUntil else {
                entries[token] = nil
                return nil
            }
            return entry.claims
        }
    }

    /// Records a successful verification of `token`.
    func insert(_ token: String, claims: ServiceAccountClaims, now: Date) {
        let validUntil = min(claims.expirationDate, now.addingTimeInterval(ttl))
        guard now < validUntil, capacity > 0 else { return }
        entries.withLock { entries in
            if entries[token] == nil, entries.count >= capacity {
                entries = entries.filter { now < $0.value.validUntil }
                if entries.count >= capacity,
                    let soonest = entries.min(by: { $0.value.validUntil < $1.value.validUntil })
                {
                    entries[soonest.key] = nil
                }
            }
            entries[token] = Entry(claims: claims, validUntil: validUntil)
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
