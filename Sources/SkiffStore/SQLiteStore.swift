import Foundation
import GRDB
import Logging

/// The default store: one append-only log table in an SQLite database in WAL mode with `synchronous=FULL`, so an
/// acknowledged write survives a process kill and a power cut. Concurrent writes share one transaction and one fsync
/// (`GroupCommitter`). All SQLite work runs on GRDB's own dispatch queues, never on a caller's event loop.
public final class SQLiteStore: KeyValueStore {
    /// Tuning knobs; the defaults are what `skiff server` uses.
    public struct Options: Sendable {
        /// Undelivered events a watcher may accumulate before it is cut off with `.expired`.
        public var maxWatchBacklog = 100_000
        /// Upper bound of writes per transaction.
        public var maxBatch = 512
        /// Reader connections kept open.
        public var readers = 4
        /// WAL pages after which a commit copies the log back into the database (SQLite's default is 1 000). Pages
        /// rewritten by many commits between two checkpoints are copied once, so a longer log means less I/O per
        /// write; 8 192 pages cap the log at 32 MiB.
        public var checkpointPages = 8192

        public init() {}
    }

    /// `PRAGMA application_id` marks a file as a skiff database ("SKIF").
    static let applicationID: Int32 = 0x534B_4946
    static let schemaVersion: Int32 = 1

    public let path: String
    let pool: DatabasePool
    private let hub: WatchHub
    private let committer: GroupCommitter
    private let lock: FileLock
    private let logger: Logger

    /// Opens (creating if absent) the database at `path`. Fails with `.corrupt` naming the file if it is not a skiff
    /// database or is damaged, and with `.unavailable` if another process holds it; nothing is overwritten.
    public init(path: String, options: Options = Options(), logger: Logger) throws(StoreError) {
        self.path = path
        self.logger = logger
        self.lock = try FileLock(path: path + ".lock")
        do {
            try Self.inspect(path: path)
            var configuration = Configuration()
            configuration.label = "skiff-store"
            configuration.maximumReaderCount = options.readers
            // A reader connection that opens while the writer commits may briefly hold SQLite's WAL locks (it reads
            // the WAL index; SQLite can make it rebuild the index): the writer then waits instead of failing its
            // whole batch with "database is locked", which clients saw as 500s under load.
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool switches to WAL and then sets synchronous=NORMAL, which survives a process crash but not a
            // power cut. The writer connection lives as long as the pool, so raising it to FULL here makes every
            // commit fsync the WAL (an acknowledged write survives a power cut); group commit buys the throughput back.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(options.checkpointPages)")
            }
            try pool.write { db in try Self.migrate(db) }
            self.pool = pool
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.corrupt, "cannot open database \(path)", cause: error)
        }
        let current: Revision
        do {
            current = try pool.read { db in try Self.currentRevision(db) }
        } catch {
            throw StoreError(.corrupt, "cannot read database \(path)", cause: error)
        }
        let hub = WatchHub(lastPublished: current, maxBacklog: options.maxWatchBacklog)
        self.hub = hub
        let pool = self.pool
        // The drain loop runs on GRDB's writer queue: each batch is one transaction there, committed back to back.
        self.committer = GroupCommitter(hub: hub, maxBatch: options.maxBatch) { drain in
            pool.asyncWriteWithoutTransaction { db in
                drain { batch in
                    do {
                        var results: [Result<(KeyValue, WatchEvent), StoreError>] = []
                        try db.inTransaction {
                            results = try Self.apply(batch, in: db)
                            return .commit
                        }
                        return .success(results)
                    } catch {
                        return .failure(StoreError(.unavailable, "write to \(path) failed", cause: error))
                    }
                }
            }
        }
        logger.debug("opened store", metadata: ["path": "\(path)", "revision": "\(current)"])
    }

    /// Write transactions committed and the writes they carried (their ratio is the group-commit batch size).
    public var commitStatistics: (transactions: Int, writes: Int) { committer.statistics }

    /// Stops accepting writes, ends every watch and closes the database.
    public func close() {
        let commits = committer.statistics
        logger.debug(
            "closing store",
            metadata: ["path": "\(path)", "transactions": "\(commits.transactions)", "writes": "\(commits.writes)"])
        committer.close()
        hub.close()
        try? pool.close()
        lock.release()
    }

    // MARK: Writes

    @discardableResult
    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await committer.submit(.create(key: key, value: value))
    }

    @discardableResult
    public func update(_ key: String, value: [UInt8], expectedRevision: Revision) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await committer.submit(.update(key: key, value: value, expectedRevision: expectedRevision))
    }

    @discardableResult
    public func delete(_ key: String, expectedRevision: Revision?) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await committer.submit(.delete(key: key, expectedRevision: expectedRevision))
    }

    /// Runs a batch inside the writer's transaction. Each operation sees the ones before it.
    private static func apply(_ batch: [WriteOperation], in db: Database) throws -> [Result<
        (KeyValue, WatchEvent), StoreError
    >] {
        let latestStatement = try db.cachedStatement(
            sql: "SELECT id, create_revision, deleted, value FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1")
        let insert = try db.cachedStatement(
            sql: "INSERT INTO kv (id, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)")
        // This is the only writer, so the log's next revisions are known up front: a create's row carries its own
        // revision as create_revision without a second write.
        var revision = try currentRevision(db)
        var results: [Result<(KeyValue, WatchEvent), StoreError>] = []
        results.reserveCapacity(batch.count)
        for operation in batch {
            let latest = try Row.fetchOne(latestStatement, arguments: [operation.key]).map(Self.latest)
            switch operation.plan(latest: latest) {
            case .failure(let error):
                results.append(.failure(error))
            case .success(let append):
                revision += 1
                try insert.execute(arguments: [
                    revision, append.key, append.createRevision ?? revision, append.prevRevision, append.deleted,
                    Data(append.value),
                ])
                results.append(.success(append.committed(at: revision)))
            }
        }
        return results
    }

    private static func latest(_ row: Row) throws -> WriteOperation.Latest {
        WriteOperation.Latest(
            revision: row[0], createRevision: row[1], deleted: row[2], value: try bytes(row, 3))
    }

    /// A value column's bytes (NULL is empty); a read that fails throws instead of passing for an empty value.
    static func bytes(_ row: Row, _ index: Int) throws -> [UInt8] {
        try row.withUnsafeData(atIndex: index) { data in data.map { [UInt8]($0) } ?? [] }
    }

    // MARK: Reads

    public func get(_ key: String, revision: Revision?) async throws(StoreError) -> KeyValue? {
        try Keys.validate(key)
        return try await read { db in
            let at = try Self.checkReadable(revision, db)
            let statement = try db.cachedStatement(
                sql: """
                    SELECT id, create_revision, deleted, value FROM kv
                    WHERE key = ? AND id <= ? ORDER BY id DESC LIMIT 1
                    """)
            guard let row = try Row.fetchOne(statement, arguments: [key, at]), !(row[2] as Bool) else { return nil }
            return KeyValue(key: key, value: try Self.bytes(row, 3), createRevision: row[1], modRevision: row[0])
        }
    }

    public func list(_ request: ListRequest) async throws(StoreError) -> ListResult {
        try Keys.validatePrefix(request.prefix)
        if let start = request.startAfter { try Keys.validatePrefix(start) }
        return try await read { db in
            let at = try Self.checkReadable(request.revision, db)
            var lower = request.prefix
            var lowerInclusive = true
            if let start = request.startAfter, start >= lower {
                lower = start
                lowerInclusive = false
            }
            let upper = Keys.rangeEnd(of: request.prefix)
            let limit = (request.limit ?? 0) > 0 ? request.limit! + 1 : -1
            // Walks the (key, id) index in key order and keeps, per key, the newest row at or below the read
            // revision; LIMIT stops the walk early so a page costs O(page), not O(table).
            let sql = """
                SELECT k.id, k.key, k.create_revision, k.value FROM kv AS k
                WHERE k.key \(lowerInclusive ? ">=" : ">") ?1 AND k.key < ?2 AND k.id <= ?3
                  AND k.id = (SELECT MAX(id) FROM kv WHERE key = k.key AND id <= ?3)
                  AND k.deleted = 0
                ORDER BY k.key LIMIT ?4
                """
            let statement = try db.cachedStatement(sql: sql)
            var items: [KeyValue] = []
            let rows = try Row.fetchCursor(statement, arguments: [lower, upper ?? "\u{7F}\u{7F}", at, limit])
            while let row = try rows.next() {
                items.append(
                    KeyValue(key: row[1], value: try Self.bytes(row, 3), createRevision: row[2], modRevision: row[0]))
            }
            var hasMore = false
            if limit > 0, items.count == limit {
                items.removeLast()
                hasMore = true
            }
            return ListResult(items: items, revision: at, hasMore: hasMore)
        }
    }

    public func currentRevision() async throws(StoreError) -> Revision {
        try await read { db in try Self.currentRevision(db) }
    }

    public func compactedRevision() async throws(StoreError) -> Revision {
        try await read { db in try Self.compactedRevision(db) }
    }

    /// The newest revision issued: the log's highest id, or the floor compaction recorded when it removed the
    /// newest rows, so revisions never go backwards.
    static func currentRevision(_ db: Database) throws -> Revision {
        try Revision.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT max(coalesce((SELECT max(id) FROM kv), 0),
                               coalesce((SELECT value FROM meta WHERE name = 'revision_floor'), 0))
                    """)) ?? 0
    }

    static func compactedRevision(_ db: Database) throws -> Revision {
        try Revision.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'compact_revision'") ?? 0
    }

    /// The revision a read runs at, after checking it is neither compacted nor in the future.
    private static func checkReadable(_ revision: Revision?, _ db: Database) throws -> Revision {
        let current = try currentRevision(db)
        guard let revision else { return current }
        let compacted = try compactedRevision(db)
        if revision < compacted {
            throw StoreError(.expired, "required revision \(revision) has been compacted (oldest is \(compacted))")
        }
        if revision > current {
            throw StoreError(.invalidRequest, "revision \(revision) is newer than the current revision \(current)")
        }
        return revision
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch is CancellationError {
            throw StoreError(.cancelled, "read from \(path) cancelled")
        } catch {
            throw StoreError(.unavailable, "read from \(path) failed", cause: error)
        }
    }

    // MARK: Watch

    /// How many watches are subscribed (diagnostics and tests: a departed client's watch must not linger).
    public var watcherCount: Int { hub.subscriberCount }

    public func watch(prefix: String, after revision: Revision) async throws(StoreError) -> WatchStream {
        try Keys.validatePrefix(prefix)
        return try await hub.subscribe(prefix: prefix, after: revision) { from, through throws(StoreError) in
            try await self.history(prefix: prefix, after: from, through: through)
        }
    }

    /// Committed events in (after, through] under `prefix`, each with the value it replaced.
    private func history(prefix: String, after: Revision, through: Revision) async throws(StoreError) -> [WatchEvent] {
        try await read { db in
            let compacted = try Self.compactedRevision(db)
            if after < compacted {
                throw StoreError(.expired, "too old resource version: \(after) (\(compacted))")
            }
            let upper = Keys.rangeEnd(of: prefix) ?? "\u{7F}\u{7F}"
            let statement = try db.cachedStatement(
                sql: """
                    SELECT c.id, c.key, c.create_revision, c.deleted, c.value, p.id, p.create_revision, p.deleted, p.value
                    FROM kv AS c LEFT JOIN kv AS p ON p.id = c.prev_revision
                    WHERE c.id > ? AND c.id <= ? AND c.key >= ? AND c.key < ?
                    ORDER BY c.id
                    """)
            var events: [WatchEvent] = []
            let rows = try Row.fetchCursor(statement, arguments: [after, through, prefix, upper])
            while let row = try rows.next() {
                let key: String = row[1]
                let current = KeyValue(
                    key: key, value: try Self.bytes(row, 4), createRevision: row[2], modRevision: row[0])
                var previous: KeyValue?
                if let prevID: Revision = row[5], !(row[7] as Bool) {
                    previous = KeyValue(
                        key: key, value: try Self.bytes(row, 8), createRevision: row[6], modRevision: prevID)
                }
                let kind: WatchEvent.Kind =
                    (row[3] as Bool) ? .deleted : (current.createRevision == current.modRevision ? .created : .updated)
                events.append(WatchEvent(kind: kind, current: current, previous: previous))
            }
            return events
        }
    }

    /// SQLite's `quick_check` of every page, on a reader (writes go on meanwhile): the problems found, at most
    /// `limit`, or none. Takes time in proportion to the file's size.
    public func checkIntegrity(limit: Int = 10) async throws(StoreError) -> [String] {
        let problems = try await read { db in
            do {
                return try String.fetchAll(db, sql: "PRAGMA quick_check(\(max(1, limit)))")
            } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
                return [error.message ?? "database disk image is malformed"]  // too damaged to even walk
            }
        }
        return problems == ["ok"] ? [] : problems
    }

    /// The writer connection's `(journal_mode, synchronous)`; tests check durability settings with it.
    func durabilitySettings() async throws -> (String, Int) {
        try await pool.writeWithoutTransaction { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
    }

    // MARK: Compaction

    @discardableResult
    public func compact(upTo revision: Revision) async throws(StoreError) -> Int {
        do {
            return try await pool.write { db in
                let current = try Self.currentRevision(db)
                let target = min(revision, current)
                let compacted = try Self.compactedRevision(db)
                guard target > compacted else { return 0 }
                // A row at or below the target is dead if it is a tombstone or a newer row at or below the target
                // exists for its key: no read at a revision >= target can reach it.
                try db.execute(
                    sql: """
                        DELETE FROM kv WHERE id <= ?1 AND (deleted = 1 OR EXISTS (
                            SELECT 1 FROM kv AS n WHERE n.key = kv.key AND n.id > kv.id AND n.id <= ?1))
                        """, arguments: [target])
                let removed = db.changesCount
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO meta (name, value) VALUES ('compact_revision', ?1), ('revision_floor', ?2)
                        """, arguments: [target, current])
                return removed
            }
        } catch {
            throw StoreError(.unavailable, "compaction of \(path) failed", cause: error)
        }
    }
}
