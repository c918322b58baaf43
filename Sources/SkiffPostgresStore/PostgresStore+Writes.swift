import Logging
import NIOCore
import PostgresNIO
@_spi(StoreImplementation) import SkiffStore

/// The write path: group commit with optimistic batches.
///
/// The writer loop takes everything queued as one batch and commits it optimistically, in two statements on one
/// connection: one reads the log's head and the keys' latest rows, the other appends the planned rows, moves the
/// counter from that head to the new one and notifies — the counter's update is a compare-and-swap
/// (`PostgresWriteStatements.Append`), so it does all of it or, when another server committed in between, nothing.
/// A batch whose append wrote nothing is planned again under the counter's row lock (`commitLocked`), which cannot
/// lose. Either way every writer updates the counter row and holds its lock until COMMIT: commits are in revision
/// order, and a rollback gives its revisions back.
///
/// One batch is in flight at a time. Overlapping two (the next one read and planned on top of the one appending) was
/// measured slower: the batches get smaller, and each costs both processes CPU (BENCHMARKS.md, "Datastores").
extension PostgresStore {
    /// Commits everything queued, batch after batch, until the queue is empty.
    func writeQueued() async {
        while true {
            let batch = writes.take()
            if batch.isEmpty { return }
            writes.answer(batch, await commit(batch.map(\.operation)))
        }
    }

    /// One batch; each operation sees the ones before it.
    private func commit(_ batch: [WriteOperation]) async -> Result<[Result<KeyValue, StoreError>], StoreError> {
        let plan: PostgresWritePlan
        do {
            plan = try await withDeadline("write") {
                if self.options.optimisticWrites, let plan = try await self.commitOptimistically(batch) { return plan }
                return try await self.commitLocked(batch)
            }
        } catch {
            wakeFollowerIfBehind()
            return .failure(storeError(error, "write"))
        }
        if plan.appends { hub.publishContinuing(plan.events) }
        wakeFollowerIfBehind()
        return .success(plan.results)
    }

    /// Records that this server is about to append up to `head`: the LISTEN loop skips notifications at or below
    /// it, because the write path either publishes everything up to it or wakes the follower
    /// (`wakeFollowerIfBehind`) — after its own commit, after losing the race to another server's, after a failure.
    private func appending(upTo head: Revision) {
        // Only the writer loop stores; the LISTEN loop reads.
        if head > ownHead.load(ordering: .relaxed) { ownHead.store(head, ordering: .relaxed) }
    }

    /// Wakes the follower when the hub has not published up to the highest revision this server appended, or tried
    /// to: its own commit could not be published (another server's commits before it are not read yet), or another
    /// server committed the revisions it had planned.
    private func wakeFollowerIfBehind() {
        if hub.lastPublished < ownHead.load(ordering: .relaxed) { wakeFollowerNow() }
    }

    /// The optimistic attempt: nil when another server's commit came between the read and the append.
    private func commitOptimistically(_ batch: [WriteOperation]) async throws -> PostgresWritePlan? {
        let logger = self.logger
        return try await client.withConnection { connection -> PostgresWritePlan? in
            let (base, latest) = try await Self.readLatest(
                keys: Array(Set(batch.map(\.key))), on: connection, logger: logger)
            let plan = PostgresWritePlan(batch, base: base, latest: latest)
            guard plan.appends else { return plan }
            self.appending(upTo: plan.head)
            await self.options.beforeOptimisticAppend?()
            guard try await Self.append(plan, on: connection, logger: logger) else {
                logger.debug(
                    "another server wrote meanwhile; committing under the lock", metadata: ["base": "\(base)"])
                self.retries.add(1, ordering: .relaxed)
                return nil
            }
            return plan
        }
    }

    /// The head and the latest row of each key, in one snapshot.
    private static func readLatest(
        keys: [String], on connection: PostgresConnection, logger: Logger
    ) async throws -> (Revision, [String: WriteOperation.Latest]) {
        var head: Int64?
        var latest: [String: WriteOperation.Latest] = [:]
        for try await (counter, key, revision, createRevision, deleted, value) in try await connection.execute(
            PostgresWriteStatements.Latest(keys: keys), logger: logger)
        {
            head = counter
            if let key, let revision, let createRevision, let deleted, let value {
                latest[key] = WriteOperation.Latest(
                    revision: revision, createRevision: createRevision, deleted: deleted,
                    value: Array(value.readableBytesView))
            }
        }
        guard let head else { throw StoreError(.corrupt, "the revision counter row is missing") }
        return (head, latest)
    }

    /// The batch planned and committed in a transaction that first takes the counter's row lock, so no other
    /// server can commit between the read and the append.
    private func commitLocked(_ batch: [WriteOperation]) async throws -> PostgresWritePlan {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection -> PostgresWritePlan in
            let base = try await connection.query(
                "SELECT value FROM skiff_revision WHERE id = 1 FOR UPDATE", logger: logger
            ).decode(Int64.self).first { _ in true }
            guard let base else { throw StoreError(.corrupt, "the revision counter row is missing") }
            // A statement after the lock: its snapshot includes every commit before the lock was granted.
            let (_, latest) = try await Self.readLatest(
                keys: Array(Set(batch.map(\.key))), on: connection, logger: logger)
            let plan = PostgresWritePlan(batch, base: base, latest: latest)
            guard plan.appends else { return plan }
            self.appending(upTo: plan.head)
            guard try await Self.append(plan, on: connection, logger: logger) else {
                throw StoreError(.corrupt, "the revision counter moved while this server held its lock")
            }
            return plan
        }
    }

    /// Runs `PostgresWriteStatements.Append`: false, with nothing written, when the counter is no longer at the
    /// plan's base.
    private static func append(
        _ plan: PostgresWritePlan, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        var count = 0
        // A prepared statement with no rows to decode returns its command tag; count the rows instead.
        let rows: AsyncThrowingMapSequence<PostgresRowSequence, Void> = try await connection.execute(
            PostgresWriteStatements.Append(plan: plan), logger: logger)
        for try await _ in rows { count += 1 }
        return count == 1
    }
}
