@_spi(StoreImplementation) import SkiffStore
import Synchronization

/// Group commit for the PostgreSQL store: writers queue their operation and wait; the store's writer loop (inside
/// `run()`) takes everything queued, commits it as one transaction, answers those writers and goes straight on with
/// what queued meanwhile. `GroupCommitter` does the same on GRDB's writer queue with a synchronous commit; PostgresNIO
/// is asynchronous, so here the loop is a task of the store's own.
final class PostgresWriteQueue: Sendable {
    private struct Waiting {
        var operation: WriteOperation
        var continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>
    }

    private struct State {
        var queue: [Waiting] = []
        var closed = false
        var transactions = 0
        var writes = 0
    }

    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>.Continuation
    /// Yields whenever a write queues; the writer loop iterates it.
    let signals: AsyncStream<Void>
    private let maxBatch: Int

    init(maxBatch: Int) {
        self.maxBatch = maxBatch
        (signals, wakeups) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Transactions committed and the writes they carried.
    var statistics: (transactions: Int, writes: Int) { state.withLock { ($0.transactions, $0.writes) } }

    func submit(_ operation: WriteOperation) async throws(StoreError) -> KeyValue {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.closed { return false }
                state.queue.append(Waiting(operation: operation, continuation: continuation))
                return true
            }
            if admitted {
                wakeups.yield()
            } else {
                continuation.resume(returning: .failure(StoreError(.closed, "store is closed")))
            }
        }
        return try result.get()
    }

    /// Commits queued writes in batches until the queue is empty. Only the writer loop calls it.
    func drain(_ commit: ([WriteOperation]) async -> Result<[Result<KeyValue, StoreError>], StoreError>) async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let taken = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let results: [Result<KeyValue, StoreError>]
            switch await commit(batch.map(\.operation)) {
            case .success(let perOperation) where perOperation.count == batch.count:
                results = perOperation
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

    /// Refuses new writes and fails those still queued (the writer loop is gone).
    func close() {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.queue.removeAll() }
            return state.queue
        }
        wakeups.finish()
        for entry in waiting { entry.continuation.resume(returning: .failure(StoreError(.closed, "store is closed"))) }
    }
}
