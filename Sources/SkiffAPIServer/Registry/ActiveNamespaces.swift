import Synchronization

/// Namespaces recently seen active, so that creating content does not read the namespace from the store every time
/// (upstream's NamespaceLifecycle admission reads an informer cache the same way, falling back to a live read).
///
/// Only "active" is remembered, with the namespace's labels (Pod Security reads its level there), for at most
/// `freshness`; this registry forgets a namespace the moment it writes one, so its own deletions and label changes
/// take effect at once. Missing and terminating namespaces are always read afresh.
final class ActiveNamespaces: Sendable {
    private struct Seen {
        var at: ContinuousClock.Instant
        var labels: [String: String]
    }

    private let seen = Mutex<[String: Seen]>([:])
    let freshness: Duration

    init(freshness: Duration = .seconds(1)) {
        self.freshness = freshness
    }

    func isActive(_ namespace: String, now: ContinuousClock.Instant = .now) -> Bool {
        labels(namespace, now: now) != nil
    }

    /// The labels of a namespace seen active within `freshness`; nil otherwise.
    func labels(_ namespace: String, now: ContinuousClock.Instant = .now) -> [String: String]? {
        seen.withLock { seen in
            guard let entry = seen[namespace] else { return nil }
            if now - entry.at < freshness { return entry.labels }
            seen[namespace] = nil
            return nil
        }
    }

    func markActive(_ namespace: String, labels: [String: String] = [:], now: ContinuousClock.Instant = .now) {
        seen.withLock { $0[namespace] = Seen(at: now, labels: labels) }
    }

    func forget(_ namespace: String) {
        _ = seen.withLock { $0.removeValue(forKey: namespace) }
    }
}
