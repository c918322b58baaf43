import Synchronization

/// Namespaces recently seen active, so that creating content does not read the namespace from the store every time
/// (upstream's NamespaceLifecycle admission reads an informer cache the same way, falling back to a live read).
///
/// Only "active" is remembered, for at most `freshness`; this registry forgets a namespace the moment it writes
/// one, so its own deletions take effect at once. Missing and terminating namespaces are always read afresh.
final class ActiveNamespaces: Sendable {
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])
    let freshness: Duration

    init(freshness: Duration = .seconds(1)) {
        self.freshness = freshness
    }

    func isActive(_ namespace: String, now: ContinuousClock.Instant = .now) -> Bool {
        seen.withLock { seen in
            guard let at = seen[namespace] else { return false }
            if now - at < freshness { return true }
            seen[namespace] = nil
            return false
        }
    }

    func markActive(_ namespace: String, now: ContinuousClock.Instant = .now) {
        seen.withLock { $0[namespace] = now }
    }

    func forget(_ namespace: String) {
        _ = seen.withLock { $0.removeValue(forKey: namespace) }
    }
}
