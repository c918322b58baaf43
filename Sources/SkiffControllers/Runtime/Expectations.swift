import Foundation
import Synchronization

/// Creates and deletes a controller has issued but not yet seen in its informers (upstream "expectations"). A key
/// is not reconciled again until they are observed (or expire), so a lagging cache never causes duplicate creates.
public final class Expectations: Sendable {
    private struct Pending {
        var adds: Int
        var deletes: Int
        var deadline: Date
    }

    private let pending = Mutex<[String: Pending]>([:])
    private let timeout: TimeInterval

    public init(timeout: TimeInterval = 300) {
        self.timeout = timeout
    }

    public func expect(_ key: String, adds: Int, deletes: Int) {
        pending.withLock {
            $0[key] = adds + deletes > 0 ? Pending(adds: adds, deletes: deletes, deadline: Date() + timeout) : nil
        }
    }

    /// Lowers the expectation after an action failed or was seen; true when the key is now satisfied.
    @discardableResult
    public func observe(_ key: String, added: Int = 0, deleted: Int = 0) -> Bool {
        pending.withLock { state in
            guard var entry = state[key] else { return true }
            entry.adds -= added
            entry.deletes -= deleted
            if entry.adds <= 0, entry.deletes <= 0 {
                state[key] = nil
                return true
            }
            state[key] = entry
            return false
        }
    }

    public func satisfied(_ key: String) -> Bool {
        pending.withLock { state in
            guard let entry = state[key] else { return true }
            if entry.deadline < Date() {
                state[key] = nil
                return true
            }
            return false
        }
    }

    public func forget(_ key: String) { pending.withLock { _ = $0.removeValue(forKey: key) } }
}
