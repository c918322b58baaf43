import Synchronization

/// Keys waiting to be reconciled. A key queued twice before it is taken is reconciled once; a key queued while it
/// is being reconciled is reconciled again afterwards (never concurrently with itself), as client-go's workqueue.
public final class WorkQueue: Sendable {
    private struct State {
        var queue: [String] = []
        var head = 0
        var queued: Set<String> = []
        var active: Set<String> = []
        var dirtyWhileActive: Set<String> = []
        /// Workers waiting for a key, oldest first.
        var waiters: [CheckedContinuation<String?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    public func add(_ key: String) {
        let waiter = state.withLock { state -> CheckedContinuation<String?, Never>? in
            if state.closed || state.queued.contains(key) { return nil }
            if state.active.contains(key) {
                state.dirtyWhileActive.insert(key)
                return nil
            }
            if !state.waiters.isEmpty {
                state.active.insert(key)
                return state.waiters.removeFirst()
            }
            state.queued.insert(key)
            state.queue.append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// The next key to reconcile, nil once closed; call `done` when finished with it.
    public func next() async -> String? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                let ready = state.withLock { state -> String?? in
                    if state.head < state.queue.count {
                        let key = state.queue[state.head]
                        state.head += 1
                        if state.head > 1024, state.head * 2 > state.queue.count {
                            state.queue.removeFirst(state.head)
                            state.head = 0
                        }
                        state.queued.remove(key)
                        state.active.insert(key)
                        return .some(key)
                    }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }

    public func done(_ key: String) {
        let again = state.withLock { state -> Bool in
            state.active.remove(key)
            return state.dirtyWhileActive.remove(key) != nil
        }
        if again { add(key) }
    }

    public func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    public var count: Int { state.withLock { $0.queue.count - $0.head } }
}
