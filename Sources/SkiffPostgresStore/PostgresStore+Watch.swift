import Logging
import NIOCore
import PostgresNIO
@_spi(StoreImplementation) import SkiffStore

extension PostgresStore {
    public func watch(prefix: String, after revision: Revision) async throws(StoreError) -> WatchStream {
        try Keys.validatePrefix(prefix)
        // The hub replays history only below what it has published; another server may have compacted past that.
        let compacted = try await compactedRevision()
        if revision < compacted {
            throw StoreError(.expired, "too old resource version: \(revision) (\(compacted))")
        }
        return try await hub.subscribe(prefix: prefix, after: revision) { from, through throws(StoreError) in
            try await self.history(prefix: prefix, after: from, through: through)
        }
    }

    /// Committed events in (after, through] under `prefix`, each with the value it replaced.
    private func history(prefix: String, after: Revision, through: Revision) async throws(StoreError) -> [WatchEvent] {
        let upper = Keys.rangeEnd(of: prefix) ?? "\u{7F}\u{7F}"
        let rows = try await query(
            """
            WITH bounds AS (\(unescaped: Self.bounds))
            SELECT bounds.compacted, e.* FROM bounds LEFT JOIN LATERAL (\(unescaped: Self.eventColumns)
                WHERE c.revision > \(after) AND c.revision <= \(through) AND c.key >= \(prefix) AND c.key < \(upper)
                ORDER BY c.revision) AS e ON true
            ORDER BY e.revision
            """, "watch",
            as: (Int64, Int64?, String?, Int64?, Bool?, ByteBuffer?, Int64?, Int64?, Bool?, ByteBuffer?).self)
        if let compacted = rows.first?.0, after < compacted {
            throw StoreError(.expired, "too old resource version: \(after) (\(compacted))")
        }
        return rows.compactMap { row in
            Self.event(row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9)
        }
    }

    /// A log row and the row it replaced, as one event's columns.
    static let eventColumns = """
        SELECT c.revision, c.key, c.create_revision, c.deleted, c.value,
               p.revision AS p_revision, p.create_revision AS p_create_revision, p.deleted AS p_deleted,
               p.value AS p_value
        FROM skiff_log AS c LEFT JOIN skiff_log AS p ON p.revision = c.prev_revision
        """

    static func event(
        _ revision: Int64?, _ key: String?, _ createRevision: Int64?, _ deleted: Bool?, _ value: ByteBuffer?,
        _ prevRevision: Int64?, _ prevCreateRevision: Int64?, _ prevDeleted: Bool?, _ prevValue: ByteBuffer?
    ) -> WatchEvent? {
        guard let revision, let key, let createRevision, let deleted, let value else { return nil }
        let current = KeyValue(
            key: key, value: Array(value.readableBytesView), createRevision: createRevision, modRevision: revision)
        var previous: KeyValue?
        if let prevRevision, let prevCreateRevision, prevDeleted == false, let prevValue {
            previous = KeyValue(
                key: key, value: Array(prevValue.readableBytesView), createRevision: prevCreateRevision,
                modRevision: prevRevision)
        }
        let kind: WatchEvent.Kind = deleted ? .deleted : (createRevision == revision ? .created : .updated)
        return WatchEvent(kind: kind, current: current, previous: previous)
    }

    // MARK: Follower

    /// Publishes every committed revision after the hub's last one, in order, page by page. Revisions are
    /// contiguous (the counter's lock), so a revision missing below the snapshot's head was removed by compaction
    /// before this server delivered it: the watches end with `.expired` and their clients relist. A failed read
    /// ends them with `.unavailable`, so the API server's watchers re-establish once the database is back.
    func catchUp() async {
        while !Task.isCancelled {
            let last = hub.lastPublished
            let rows: [FollowerPage.Row]
            do throws(StoreError) {
                rows = try await execute(FollowerPage(after: last, limit: Int64(options.followerPage)), "follow")
            } catch {
                if error.code == .cancelled { return }
                if hub.subscriberCount > 0 {
                    logger.warning("ending watches: cannot read the log", metadata: ["error": "\(error)"])
                }
                hub.cutOff(error)
                return
            }
            guard let head = rows.first?.0, let compacted = rows.first?.1 else { return }
            var reached = last
            var hole = false
            for row in rows {
                guard let event = Self.event(row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10) else {
                    continue
                }
                // One event per publish: a watcher's backlog limit counts events, as with SQLite's per-commit pushes.
                // The writer may have published this server's own commits meanwhile; those are skipped.
                reached = hub.publishContinuing([event])
                guard reached >= event.revision else {
                    hole = true
                    break
                }
            }
            let pageFull = rows.count == options.followerPage
            if hole || (!pageFull && reached < head) {
                // A hole below head: compacted away (or written by something that does not take the counter lock).
                let metadata: Logger.Metadata = [
                    "missing": "\(reached + 1)", "head": "\(head)", "compacted": "\(compacted)",
                ]
                if reached + 1 <= compacted {
                    logger.info("watches fell behind compaction; ending them", metadata: metadata)
                } else {
                    logger.error("the log has a hole above compaction; ending watches", metadata: metadata)
                }
                hub.cutOff(
                    StoreError(.expired, "revision \(reached + 1) is gone (compacted at \(compacted)); relist"),
                    advancingTo: head)
                return
            }
            if !pageFull { return }
        }
    }

    /// The follower's read, prepared once per connection (it runs after every commit of another server's): the
    /// head, the compaction floor and the next page of events after `after`, in one snapshot.
    struct FollowerPage: PostgresPreparedStatement {
        static let sql = """
            WITH bounds AS (\(PostgresStore.bounds))
            SELECT bounds.head, bounds.compacted, e.* FROM bounds LEFT JOIN LATERAL (
                \(PostgresStore.eventColumns)
                WHERE c.revision > $1 AND c.revision <= bounds.head
                ORDER BY c.revision LIMIT $2) AS e ON true
            ORDER BY e.revision
            """
        typealias Row = (Int64, Int64, Int64?, String?, Int64?, Bool?, ByteBuffer?, Int64?, Int64?, Bool?, ByteBuffer?)

        var after: Int64
        var limit: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(after)
            bindings.append(limit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Holds a connection of its own that LISTENs for commits (from every server) and wakes the follower; reconnects
    /// after a second when it drops. The poll covers the time it is down.
    func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Self.channel) { notifications in
                            // Commits may have happened while no LISTEN was in place.
                            self.wakeFollowerNow()
                            for try await notification in notifications {
                                // The payload is the committed transaction's last revision. One this server has
                                // published needs no read, nor one at or below what its writer appended or tried
                                // to: the write path publishes those or wakes the follower itself.
                                if let revision = Int64(notification.payload),
                                    revision <= max(self.hub.lastPublished, self.ownHead.load(ordering: .relaxed))
                                {
                                    continue
                                }
                                self.wakeFollowerNow()
                            }
                        }
                    } onCancel: {
                        // The notification sequence ends only with its connection.
                        let _: EventLoopFuture<Void> = connection.close()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("LISTEN connection lost", metadata: ["error": "\(Self.reason(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
