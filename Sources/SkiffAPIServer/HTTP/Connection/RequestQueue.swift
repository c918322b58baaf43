import HummingbirdCore
import Synchronization

/// The requests of one connection, from the pipeline (on the event loop) to the connection's task.
final class RequestQueue: Sendable {
    /// Requests a client may pipeline behind the one being answered (kubectl and client-go never pipeline).
    static let maxPending = 16

    private struct State {
        var pending: [Request] = []
        var waiter: CheckedContinuation<Request?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Queues `request`; false if the client has pipelined more than `maxPending` requests.
    func push(_ request: Request) -> Bool {
        let (waiter, accepted) = state.withLock { state -> (CheckedContinuation<Request?, Never>?, Bool) in
            guard !state.finished else { return (nil, true) }
            guard let waiter = state.waiter else {
                guard state.pending.count < Self.maxPending else { return (nil, false) }
                state.pending.append(request)
                return (nil, true)
            }
            state.waiter = nil
            return (waiter, true)
        }
        waiter?.resume(returning: request)
        return accepted
    }

    /// No more requests: the connection closed. A waiting `next()` returns nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Request?, Never>? in
            state.finished = true
            state.pending.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next request, or nil once the connection has closed (or the task is cancelled).
    func next() async -> Request? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Request?? in
                    if !state.pending.isEmpty { return .some(state.pending.removeFirst()) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }
}
