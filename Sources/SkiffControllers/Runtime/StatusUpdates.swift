import SkiffModel
import Synchronization

/// Status reports waiting for their key's next reconcile. A key's status is written at most once per reconcile:
/// reports that arrive meanwhile replace each other (the newest wins), and a status equal to the last one written is
/// not written again. Built for the agent's pod workers, whose containers change state faster than a slow link writes.
final class StatusUpdates: Sendable {
    private struct Entry {
        var pending: JSON?
        var written: JSON?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Records the newest status of `key`.
    func report(_ key: String, _ status: JSON) {
        entries.withLock { $0[key, default: Entry()].pending = status }
    }

    /// The status to write for `key` now, if any: the newest reported, unless it is what was last written.
    func take(_ key: String) -> JSON? {
        entries.withLock { entries in
            guard var entry = entries[key], let pending = entry.pending else { return nil }
            entry.pending = nil
            entries[key] = entry
            if pending == entry.written { return nil }
            return pending
        }
    }

    /// The write of `status` succeeded.
    func written(_ key: String, _ status: JSON) {
        entries.withLock { $0[key, default: Entry()].written = status }
    }

    /// The write of `status` failed: it is pending again unless a newer report replaced it meanwhile.
    func failed(_ key: String, _ status: JSON) {
        entries.withLock { entries in
            if entries[key, default: Entry()].pending == nil { entries[key]?.pending = status }
        }
    }

    /// Drops what is known of `key` (its object is gone).
    func forget(_ key: String) { entries.withLock { _ = $0.removeValue(forKey: key) } }
}
