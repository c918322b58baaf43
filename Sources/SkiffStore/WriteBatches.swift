/// The bookkeeping both group committers share (SQLite's `GroupCommitter` on its writer thread, PostgreSQL's write
/// queue in its writer task): writers waiting with their operation, batches taken in arrival order, a batch's outcome
/// turned into one answer per writer, and the counts. Kept inside each committer's lock; no I/O.
@_spi(StoreImplementation) public struct WriteBatches: Sendable {
    /// A writer waiting for its operation to commit.
    public struct Waiting: Sendable {
        public var operation: WriteOperation
        public var continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>

        public init(
            operation: WriteOperation, continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>
        ) {
            self.operation = operation
            self.continuation = continuation
        }
    }

    public private(set) var queue: [Waiting] = []
    public private(set) var closed = false
    /// Transactions committed and the writes they carried.
    public private(set) var transactions = 0
    public private(set) var writes = 0
    let maxBatch: Int

    public init(maxBatch: Int) { self.maxBatch = maxBatch }

    /// Queues a writer; false (and nothing queued) once closed.
    public mutating func admit(_ waiting: Waiting) -> Bool {
        if closed { return false }
        queue.append(waiting)
        return true
    }

    /// The next batch, oldest first, at most `maxBatch` writers; empty when nobody waits.
    public mutating func take() -> [Waiting] {
        let taken = Array(queue.prefix(maxBatch))
        queue.removeFirst(taken.count)
        return taken
    }

    /// Counts a committed (or failed) batch.
    public mutating func record(_ batch: [Waiting]) {
        transactions += 1
        writes += batch.count
    }

    /// Refuses new writers; those queued still commit.
    public mutating func refuseNew() { closed = true }

    /// Refuses new writers and hands back those still queued (to be failed: nothing will commit them).
    public mutating func close() -> [Waiting] {
        closed = true
        defer { queue.removeAll() }
        return queue
    }

    /// One answer per writer of a batch of `count`: the batch's own per-operation results, or its one error for all
    /// (a result of the wrong length fails them all rather than answering anyone wrongly).
    public static func answers(
        _ outcome: Result<[Result<KeyValue, StoreError>], StoreError>, count: Int
    ) -> [Result<KeyValue, StoreError>] {
        switch outcome {
        case .success(let perOperation) where perOperation.count == count:
            return perOperation
        case .success:
            return Array(
                repeating: .failure(StoreError(.unavailable, "batch answered the wrong number of writes")), count: count
            )
        case .failure(let error):
            return Array(repeating: .failure(error), count: count)
        }
    }

    public static let closedError = StoreError(.closed, "store is closed")
}
