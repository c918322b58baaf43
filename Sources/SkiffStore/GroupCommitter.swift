import Synchronization

/// Batches concurrent writes into one transaction (one fsync). Writers queue their operation and wait; a drain loop
/// on the store's own writer thread takes everything queued, commits it as one batch, answers those writers, and
/// goes straight on with whatever queued meanwhile. It stops when the queue is empty and the next write starts it
/// again. No task or event loop sits between two commits, so a busy caller executor never delays the next batch, and
/// a writer whose caller goes away (its task cancelled) cannot fail or hold up the others' writes.
final class GroupCommitter: Sendable {
    /// Per-operation outcomes of a batch, or one error that failed the whole batch.
    typealias BatchResult = Result<[Result<(KeyValue, WatchEvent), StoreError>], StoreError>
    /// Applies one batch in one transaction; only called inside `Writer`'s closure.
    typealias Commit = ([WriteOperation]) -> BatchResult
    /// Runs the drain loop on the store's serial writer, handing it the function that commits a batch there.
    typealias Writer = @Sendable (_ drain: @escaping @Sendable (Commit) -> Void) -> Void

    private struct Waiting {
        var operation: WriteOperation
        var continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>
    }

    private struct State {
        var draining = false
        var queue: [Waiting] = []
        var closed = false
        var transactions = 0
        var writes = 0
    }

    /// Transactions committed and writes they carried, since the store opened.
    var statistics: (transactions: Int, writes: Int) { state.withLock { ($0.transactions, $0.writes) } }

    /// Writes waiting for a batch (tests).
    var queued: Int { state.withLock { $0.queue.count } }

    private let state = Mutex(State())
    private let writer: Writer
    private let hub: WatchHub
    private let maxBatch: Int

    init(hub: WatchHub, maxBatch: Int = 512, writer: @escaping Writer) {
        self.hub = hub
        self.maxBatch = maxBatch
        self.writer = writer
    }

    func submit(_ operation: WriteOperation) async throws(StoreError) -> KeyValue {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>) in
            enum Admission { case queued, start, closed }
            let admission = state.withLock { state -> Admission in
                if state.closed { return .closed }
                state.queue.append(Waiting(operation: operation, continuation: continuation))
                if state.draining { return .queued }
                state.draining = true
                return .start
            }
            switch admission {
            case .closed: continuation.resume(returning: .failure(StoreError(.closed, "store is closed")))
            case .queued: break
            case .start: writer { commit in self.drain(commit) }
            }
        }
        return try result.get()
    }

    /// Commits batches until the queue is empty. Runs on the writer, one drain at a time.
    private func drain(_ commit: Commit) {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let taken = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            let results: [Result<KeyValue, StoreError>]
            switch commit(batch.map(\.operation)) {
            case .success(let perOperation) where perOperation.count == batch.count:
                hub.publish(perOperation.compactMap { try? $0.get().1 })
                results = perOperation.map { $0.map(\.0) }
            case .success:
                results = Array(
                    repeating: .failure(StoreError(.unavailable, "batch answered the wrong number of writes")),
                    count: batch.count)
            case .failure(let error):
                results = Array(repeating: .failure(error), count: batch.count)
            }
            state.withLock { state in
                state.transactions += 1
                state.writes += batch.count
            }
            for (waiting, result) in zip(batch, results) { waiting.continuation.resume(returning: result) }
        }
    }

    /// Refuses new writes; writes already queued still commit.
    func close() {
        state.withLock { $0.closed = true }
    }
}
