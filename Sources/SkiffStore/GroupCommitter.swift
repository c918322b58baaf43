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

    private struct State {
        var batches: WriteBatches
        var draining = false
    }

    /// Transactions committed and writes they carried, since the store opened.
    var statistics: (transactions: Int, writes: Int) {
        state.withLock { ($0.batches.transactions, $0.batches.writes) }
    }

    /// Writes waiting for a batch (tests).
    var queued: Int { state.withLock { $0.batches.queue.count } }

    private let state: Mutex<State>
    private let writer: Writer
    private let hub: WatchHub

    init(hub: WatchHub, maxBatch: Int = 512, writer: @escaping Writer) {
        self.hub = hub
        self.state = Mutex(State(batches: WriteBatches(maxBatch: maxBatch)))
        self.writer = writer
    }

    func submit(_ operation: WriteOperation) async throws(StoreError) -> KeyValue {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<KeyValue, StoreError>, Never>) in
            enum Admission { case queued, start, closed }
            let admission = state.withLock { state -> Admission in
                guard state.batches.admit(WriteBatches.Waiting(operation: operation, continuation: continuation))
                else { return .closed }
                if state.draining { return .queued }
                state.draining = true
                return .start
            }
            switch admission {
            case .closed: continuation.resume(returning: .failure(WriteBatches.closedError))
            case .queued: break
            case .start: writer { commit in self.drain(commit) }
            }
        }
        return try result.get()
    }

    /// Commits batches until the queue is empty. Runs on the writer, one drain at a time.
    private func drain(_ commit: Commit) {
        while true {
            let batch = state.withLock { state -> [WriteBatches.Waiting] in
                let taken = state.batches.take()
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            let outcome = commit(batch.map(\.operation))
            if case .success(let perOperation) = outcome, perOperation.count == batch.count {
                hub.publish(perOperation.compactMap { try? $0.get().1 })
            }
            let results = WriteBatches.answers(outcome.map { $0.map { $0.map(\.0) } }, count: batch.count)
            state.withLock { $0.batches.record(batch) }
            for (waiting, result) in zip(batch, results) { waiting.continuation.resume(returning: result) }
        }
    }

    /// Refuses new writes; writes already queued still commit.
    func close() {
        state.withLock { $0.batches.refuseNew() }
    }
}
