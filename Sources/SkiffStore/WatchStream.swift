import Synchronization

/// The events a watch delivers, in revision order. Ends by throwing `.expired` when the consumer fell more than the
/// store's backlog limit behind, or `.closed` when the store shuts down. Dropping the stream unsubscribes.
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    public typealias Failure = StoreError

    private let subscription: Subscription

    init(queue: WatchQueue, onTermination: @escaping @Sendable () -> Void) {
        self.subscription = Subscription(queue: queue, onTermination: onTermination)
    }

    public func makeAsyncIterator() -> Iterator { Iterator(subscription: subscription) }

    /// Ends the stream cleanly once the events already buffered are consumed (e.g. when a watch times out), and
    /// leaves the hub at once: nothing more is queued, whoever still holds the stream.
    public func stop() {
        subscription.queue.finish(nil)
        subscription.onTermination()
    }

    public struct Iterator: AsyncIteratorProtocol {
        fileprivate let subscription: Subscription

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(StoreError) -> WatchEvent? {
            try await subscription.queue.pop()
        }

        public mutating func next() async throws(StoreError) -> WatchEvent? {
            try await subscription.queue.pop()
        }
    }

    /// Keeps the hub registration alive as long as someone holds the stream or an iterator (or until `stop`).
    fileprivate final class Subscription: Sendable {
        let queue: WatchQueue
        let onTermination: @Sendable () -> Void

        init(queue: WatchQueue, onTermination: @escaping @Sendable () -> Void) {
            self.queue = queue
            self.onTermination = onTermination
        }

        deinit {
            queue.finish(nil)
            onTermination()
        }
    }
}

/// A single-consumer queue of events with a bounded backlog. Producers never block: a consumer that falls behind is
/// finished with `.expired` instead, as Kubernetes clients expect (they relist).
final class WatchQueue: Sendable {
    private struct State {
        var buffer: [WatchEvent] = []
        var head = 0
        var waiter: CheckedContinuation<Result<WatchEvent?, StoreError>, Never>?
        /// Set once the stream ends: nil error means a clean end.
        var ending: StoreError?? = nil
        var backlogAllowance = 0
    }

    private let state = Mutex(State())
    private let maxBacklog: Int

    init(maxBacklog: Int) {
        self.maxBacklog = maxBacklog
    }

    /// Appends events; history replay does not count against the backlog limit (its size is known up front).
    func push(_ events: [WatchEvent], countsAgainstBacklog: Bool = true) {
        guard !events.isEmpty else { return }
        let resume: (CheckedContinuation<Result<WatchEvent?, StoreError>, Never>, Result<WatchEvent?, StoreError>)? =
            state.withLock { state in
                if state.ending != nil { return nil }
                if !countsAgainstBacklog { state.backlogAllowance += events.count }
                if countsAgainstBacklog,
                    state.buffer.count - state.head + events.count > maxBacklog + state.backlogAllowance
                {
                    // What is buffered is still delivered; the error follows it, so the consumer sees no gap.
                    let error = StoreError(
                        .expired, "watcher fell more than \(maxBacklog) events behind; relist and watch again")
                    state.ending = .some(error)
                    if let waiter = state.waiter {
                        state.waiter = nil
                        return (waiter, .failure(error))
                    }
                    return nil
                }
                var events = events[...]
                if let waiter = state.waiter, let first = events.popFirst() {
                    state.waiter = nil
                    state.buffer.append(contentsOf: events)
                    return (waiter, .success(first))
                }
                state.buffer.append(contentsOf: events)
                return nil
            }
        if let (waiter, result) = resume { waiter.resume(returning: result) }
    }

    /// Ends the stream after the buffered events (`error == nil`) or with an error right away.
    func finish(_ error: StoreError?) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<WatchEvent?, StoreError>, Never>? in
            if state.ending != nil { return nil }
            state.ending = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error.map { .failure($0) } ?? .success(nil))
    }

    func pop() async throws(StoreError) -> WatchEvent? {
        if let ready = state.withLock({ Self.takeReady(&$0) }) { return try ready.get() }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<WatchEvent?, StoreError>, Never>) in
                let ready = state.withLock { state -> Result<WatchEvent?, StoreError>? in
                    if let ready = Self.takeReady(&state) { return ready }
                    if Task.isCancelled { return .success(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: .success(nil))
        }
        return try result.get()
    }

    /// The next buffered event, or the stream's end once the buffer is drained; nil when the consumer must wait.
    private static func takeReady(_ state: inout State) -> Result<WatchEvent?, StoreError>? {
        if state.head < state.buffer.count {
            let event = state.buffer[state.head]
            state.head += 1
            if state.backlogAllowance > 0 { state.backlogAllowance -= 1 }
            if state.head == state.buffer.count {
                state.buffer.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 1024, state.head * 2 >= state.buffer.count {
                state.buffer.removeFirst(state.head)
                state.head = 0
            }
            return .success(event)
        }
        if let ending = state.ending { return ending.map { .failure($0) } ?? .success(nil) }
        return nil
    }
}
