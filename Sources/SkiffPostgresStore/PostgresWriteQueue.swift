@_spi(StoreImplementation) import SkiffStore
import Synchronization

/// Group commit for the PostgreSQL store: writers queue their operation and wait; the store's writer loop (inside
/// `run()`, `PostgresStore+Writes.swift`) takes everything queued as one batch, commits it, answers those writers and
/// goes on with what queued meanwhile. `GroupCommitter` does the same on GRDB's writer queue with a synchronous commit; PostgresNIO
/// is asynchronous, so here the loop is a task of the store's own.
final class PostgresWriteQueue: Sendable {
    private let state: Mutex<WriteBatches>
    private let wakeups: AsyncStream<Void>.Continuation
    /// Yields whenever a write queues; the writer loop iterates it.
    let signals: AsyncStream<Void>

    init(maxBatch: Int) {
        state = Mutex(WriteBatches(maxBatch: maxBatch))
        (signals, wakeups) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Transactions committed and the writes they carried.
    var statistics: (transactions: Int, writes: Int) { state.withLock { ($0.transactions, $0.writes) } }

    func submit(_ operation: WriteOperation) async throws(StoreError) -> KeyValue {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>) in
            let admitted = state.withLock {
                $0.admit(WriteBatches.Waiting(operation: operation, continuation: continuation))
            }
            if admitted {
                wakeups.yield()
            } else {
                continuation.resume(returning: .failure(WriteBatches.closedError))
            }
        }
        return try result.get()
    }

    /// The next batch, oldest first; empty when nobody waits. Only the writer loop takes.
    func take() -> [WriteBatches.Waiting] { state.withLock { $0.take() } }

    /// Answers a batch's writers with its outcome.
    func answer(_ batch: [WriteBatches.Waiting], _ outcome: Result<[Result<KeyValue, StoreError>], StoreError>) {
        let results = WriteBatches.answers(outcome, count: batch.count)
        state.withLock { $0.record(batch) }
        for (waiting, result) in zip(batch, results) { waiting.continuation.resume(returning: result) }
    }

    /// Refuses new writes and fails those still queued (the writer loop is gone).
    func close() {
        let waiting = state.withLock { $0.close() }
        wakeups.finish()
        for entry in waiting { entry.continuation.resume(returning: .failure(WriteBatches.closedError)) }
    }
}
