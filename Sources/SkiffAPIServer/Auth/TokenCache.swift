import Foundation
import Synchronization

/// Service account tokens that verified recently, by token text. A hit skips the RS256 signature check and the
/// lookups of the service account and its bound object; an entry lives `ttl` at most and never past the token's `exp`,
/// so deleting the account revokes its tokens within `ttl` (upstream caches successful token authentications for
/// 10 s too). Only successes are cached. At `capacity` the entry closest to its end is dropped.
final class TokenCache: Sendable {
    private struct Entry {
        var user: UserInfo
        var validUntil: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let ttl: TimeInterval
    let capacity: Int

    init(ttl: TimeInterval = 10, capacity: Int = 1024) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The user `token` authenticated as, if that was less than `ttl` ago and the token has not expired since.
    func user(for token: String, now: Date) -> UserInfo? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.validUntil else {
                entries[token] = nil
                return nil
            }
            return entry.user
        }
    }

    /// Records a successful verification of a token that expires at `expiresAt`.
    func insert(_ token: String, user: UserInfo, expiresAt: Date, now: Date) {
        let validUntil = min(expiresAt, now.addingTimeInterval(ttl))
        guard now < validUntil, capacity > 0 else { return }
        entries.withLock { entries in
            if entries[token] == nil, entries.count >= capacity {
                entries = entries.filter { now < $0.value.validUntil }
                if entries.count >= capacity, let soonest = entries.min(by: { $0.value.validUntil < $1.value.validUntil }) {
                    entries[soonest.key] = nil
                }
            }
            entries[token] = Entry(user: user, validUntil: validUntil)
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
