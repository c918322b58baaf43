import Synchronization

/// Batches concurrent writes into one transaction (one fsync), LevelDB-style: the first writer to arrive leads and
/// commits everything queued behind it; when it is done, the next waiting writer becomes the leader. No background
/// task exists, every commit runs in the task of a writer that is waiting for it anyway.
final class GroupCommitter: Sendable {
    /// Applies a batch in one transaction: per-operation outcomes, or one error that failed the whole batch.
    typealias Apply = @Sendable ([WriteOperation]) async -> Result<[Result<(KeyValue, WatchEvent), StoreError>], StoreError>

    private enum Outcome: Sendable {
        case done(Result<KeyValue, StoreError>)
        case lead
    }

    private struct Waiting {
        var operation: WriteOperation
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var leading = false
        var queue: [Waiting] = []
        var closed = false
        var transactions = 0
        var writes = 0
    }

    /// Transactions committed and writes they carried, since the store opened.
    var statistics: (transactions: Int, writes: Int) { state.withLock { ($0.transactions, $0.writes) } }

    private let state = Mutex(State())
    private let apply: Apply
    private let hub: WatchHub
    private let maxBatch: Int

    init(hub: WatchHub, maxBatch: Int = 512, apply: @escaping Apply) {
        self.hub = hub
        self.maxBatch = maxBatch
        self.apply = apply
    }

    func submit(_ operation: WriteOperation) async throws(StoreError) -> KeyValue {
        enum Admission { case lead, wait, closed }
        let admission = state.withLock { state -> Admission in
            if state.closed { return .closed }
            if state.leading { return .wait }
            state.leading = true
            return .lead
        }
        switch admission {
        case .closed:
            throw StoreError(.closed, "store is closed")
        case .lead:
            return try await lead(with: operation).get()
        case .wait:
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let leadNow = state.withLock { state -> Bool in
                    if state.leading {
                        state.queue.append(Waiting(operation: operation, continuation: continuation))
                        return false
                    }
                    state.leading = true
                    return true
                }
                if leadNow { continuation.resume(returning: .lead) }
            }
            switch outcome {
            case .done(let result): return try result.get()
            case .lead: return try await lead(with: operation).get()
            }
        }
    }

    /// Commits `own` together with whatever is queued, then hands leadership to the next waiter.
    private func lead(with own: WriteOperation) async -> Result<KeyValue, StoreError> {
        let followers = state.withLock { state -> [Waiting] in
            let taken = Array(state.queue.prefix(maxBatch - 1))
            state.queue.removeFirst(taken.count)
            return taken
        }
        let batch = [own] + followers.map(\.operation)
        // The batch carries other writers' operations: it must commit even if the leader's own caller goes away
        // (a client hanging up mid-request cancels its task, and SQLite's async write gives up on cancellation).
        // A task that does not inherit the leader's cancellation runs it; the leader still waits for it.
        let apply = self.apply
        let outcome = await Task { await apply(batch) }.value
        let results: [Result<KeyValue, StoreError>]
        switch outcome {
        case .success(let perOperation):
            hub.publish(perOperation.compactMap { try? $0.get().1 })
            results = perOperation.map { $0.map(\.0) }
        case .failure(let error):
            results = Array(repeating: .failure(error), count: batch.count)
        }
        for (waiting, result) in zip(followers, results.dropFirst()) {
            waiting.continuation.resume(returning: .done(result))
        }
        let next = state.withLock { state -> Waiting? in
            state.transactions += 1
            state.writes += batch.count
            guard !state.queue.isEmpty else {
                state.leading = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return results[0]
    }

    /// Refuses new writes; writes already queued still commit.
    func close() {
        state.withLock { $0.closed = true }
    }
}
