import Foundation

/// Upstream's event spam filter (client-go `EventSourceObjectSpamFilter`): each (source, involved object, type,
/// reason) gets a token bucket of 25 events refilled at one per five minutes, so a ReplicaSet creating a thousand
/// pods records its first 25 `SuccessfulCreate` events and then stays quiet instead of writing a thousand.
///
/// Pure: the caller passes the time.
public struct EventSpamFilter: Sendable {
    public static let burst = 25.0
    public static let refillPerSecond = 1.0 / 300
    /// Buckets kept at most (upstream keeps an LRU of 4096); full buckets are dropped first, as they are the same as
    /// no bucket at all.
    static let capacity = 4096

    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private var buckets: [String: Bucket] = [:]

    public init() {}

    /// Whether an event with this key may be recorded at `now` (taking a token if so).
    public mutating func allow(_ key: String, now: Date) -> Bool {
        var bucket = buckets[key] ?? Bucket(tokens: Self.burst, updated: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(Self.burst, bucket.tokens + elapsed * Self.refillPerSecond)
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[key] = bucket
        if buckets.count > Self.capacity { prune(now: now) }
        return allowed
    }

    private mutating func prune(now: Date) {
        buckets = buckets.filter {
            $0.value.tokens + now.timeIntervalSince($0.value.updated) * Self.refillPerSecond < Self.burst
        }
        // Still too many: forget the least recently used half.
        if buckets.count > Self.capacity {
            let kept = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(Self.capacity / 2)
            buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
    }

    /// The spam key of an event about `object`: upstream's source + involved object + type + reason.
    public static func key(component: String, object: [String?], type: String, reason: String) -> String {
        ([component] + object.map { $0 ?? "" } + [type, reason]).joined(separator: "\u{1F}")
    }
}
