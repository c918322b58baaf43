import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle
@_spi(StoreImplementation) import SkiffStore
import Synchronization

/// The revision log on a shared PostgreSQL database, so that several servers can serve one cluster.
///
/// Same semantics as `SQLiteStore`: one global revision sequence, compare-and-swap on `modRevision`, reads at a
/// revision, watches from a revision, compaction with `.expired` below it, group commit. Writers take the one-row
/// revision counter's row lock inside their transaction, so transactions commit in revision order and a rolled-back
/// one gives its revisions back: the log has no gaps and never shows a revision before the ones below it. Watches
/// are fed by a follower that reads the log back in revision order, woken by LISTEN/NOTIFY, by this store's own
/// commits and by a poll (docs/architecture.md, "Store").
///
/// `connect` checks the database and creates the schema; `run()` (a `Service`) runs the connection pool, the writer
/// loop and the follower, and the store works only while it runs.
public final class PostgresStore: KeyValueStore, Service {
    /// Tuning knobs; the defaults are what `skiff server` would use.
    public struct Options: Sendable {
        /// Undelivered events a watcher may accumulate before it is cut off with `.expired`.
        public var maxWatchBacklog = 100_000
        /// Upper bound of writes per transaction.
        public var maxBatch = 512
        /// Connections the pool may open.
        public var maxConnections = 8
        /// How often the follower reads the log without a notification (a lost NOTIFY, a LISTEN connection down).
        public var pollInterval: Duration = .seconds(1)
        /// Log rows the follower reads per query.
        public var followerPage = 500
        /// Time allowed to establish a connection.
        public var connectTimeout: Duration = .seconds(10)
        /// How long an operation may wait for a connection before it fails with `.unavailable`. While the database
        /// is unreachable the pool keeps retrying with growing back-off and would hold requests for a minute or more.
        public var operationTimeout: Duration = .seconds(5)
        /// Whether a batch is first committed without the counter's lock (two round trips instead of five), and
        /// under the lock only when another server's commit came in between.
        public var optimisticWrites = true
        /// Tests: runs just before a batch's optimistic append (after its read), to let another server commit
        /// meanwhile.
        var beforeOptimisticAppend: (@Sendable () async -> Void)?

        public init() {}
    }

    /// The NOTIFY channel writers signal on commit.
    static let channel = "skiff_log"

    public let endpoint: PostgresEndpoint
    let options: Options
    let client: PostgresClient
    let hub: WatchHub
    let writes: PostgresWriteQueue
    let retries = Atomic<Int>(0)
    /// The highest revision this server's writer appended, or tried to (`appending(upTo:)`).
    let ownHead = Atomic<Int64>(0)
    let wakeFollower: AsyncStream<Void>.Continuation
    private let followerSignals: AsyncStream<Void>
    let logger: Logger

    private init(endpoint: PostgresEndpoint, options: Options, head: Revision, logger: Logger) throws(StoreError) {
        self.endpoint = endpoint
        self.options = options
        self.logger = logger
        var configuration: PostgresClient.Configuration
        do {
            configuration = try endpoint.clientConfiguration()
        } catch {
            throw StoreError(.invalidRequest, error.message)
        }
        configuration.options.maximumConnections = options.maxConnections
        // Plans made for each execution's parameters and the tables' current size (PostgresWriteStatements).
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_custom_plan")]
        configuration.options.connectTimeout = options.connectTimeout
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        hub = WatchHub(lastPublished: head, maxBacklog: options.maxWatchBacklog)
        writes = PostgresWriteQueue(maxBatch: options.maxBatch)
        (followerSignals, wakeFollower) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Connects once to check the endpoint, creates the schema if the database has none, and returns the store (not
    /// yet running). A wrong password, an unreachable host or a database that is not skiff's fails here, with the
    /// server's own reason, as `.unavailable` or `.corrupt`.
    public static func connect(
        endpoint: PostgresEndpoint, options: Options = Options(), logger: Logger
    ) async throws(StoreError) -> PostgresStore {
        let head = try await prepareDatabase(endpoint: endpoint, connectTimeout: options.connectTimeout, logger: logger)
        logger.debug("opened store", metadata: ["endpoint": "\(endpoint.displayName)", "revision": "\(head)"])
        return try PostgresStore(endpoint: endpoint, options: options, head: head, logger: logger)
    }

    /// Connects, runs the store for the duration of `body`, and stops it again.
    public static func withStore<T: Sendable>(
        endpoint: PostgresEndpoint, options: Options = Options(), logger: Logger,
        _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = try await connect(endpoint: endpoint, options: options, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// Makes the follower read the log now (a NOTIFY, a local commit).
    func wakeFollowerNow() { wakeFollower.yield() }

    /// Write transactions committed and the writes they carried (their ratio is the group-commit batch size).
    public var commitStatistics: (transactions: Int, writes: Int) { writes.statistics }

    /// Batches whose optimistic commit lost the race to another server's and were committed under the lock.
    public var lockedRetries: Int { retries.load(ordering: .relaxed) }

    /// How many watches are subscribed.
    public var watcherCount: Int { hub.subscriberCount }

    /// Runs the connection pool, the writer loop, the follower and its LISTEN connection until cancelled or shut
    /// down gracefully; then refuses writes and ends every watch with `.closed`.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask {
                for await _ in self.writes.signals { await self.writeQueued() }
            }
            group.addTask {
                for await _ in self.followerSignals { await self.catchUp() }
            }
            group.addTask { await self.listen() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.options.pollInterval)
                    self.wakeFollower.yield()
                }
            }
            // Until cancelled, or a graceful shutdown of the service group.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        writes.close()
        wakeFollower.finish()
        hub.close()
        logger.debug("closed store", metadata: ["endpoint": "\(endpoint.displayName)"])
    }

    // MARK: Writes

    @discardableResult
    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await writes.submit(.create(key: key, value: value))
    }

    @discardableResult
    public func update(_ key: String, value: [UInt8], expectedRevision: Revision) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await writes.submit(.update(key: key, value: value, expectedRevision: expectedRevision))
    }

    @discardableResult
    public func delete(_ key: String, expectedRevision: Revision?) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try await writes.submit(.delete(key: key, expectedRevision: expectedRevision))
    }

    // MARK: Reads

    public func get(_ key: String, revision: Revision?) async throws(StoreError) -> KeyValue? {
        try Keys.validate(key)
        // One statement is one snapshot: the bounds and the row are read together.
        let rows = try await query(
            """
            WITH bounds AS (\(unescaped: Self.bounds)), at AS (SELECT head, compacted,
                coalesce(\(revision)::bigint, head) AS rev FROM bounds)
            SELECT at.head, at.compacted, at.rev, k.revision, k.create_revision, k.deleted, k.value FROM at
            LEFT JOIN LATERAL (SELECT * FROM skiff_log WHERE key = \(key) AND revision <= at.rev
                ORDER BY revision DESC LIMIT 1) AS k ON true
            """, "read",
            as: (Int64, Int64, Int64, Int64?, Int64?, Bool?, ByteBuffer?).self)
        guard let row = rows.first else { throw StoreError(.corrupt, "the revision counter row is missing") }
        try Self.checkReadable(revision, head: row.0, compacted: row.1)
        guard let modRevision = row.3, let createRevision = row.4, row.5 == false, let value = row.6 else {
            return nil
        }
        return KeyValue(
            key: key, value: Array(value.readableBytesView), createRevision: createRevision, modRevision: modRevision)
    }

    public func list(_ request: ListRequest) async throws(StoreError) -> ListResult {
        try Keys.validatePrefix(request.prefix)
        if let start = request.startAfter { try Keys.validatePrefix(start) }
        var lower = request.prefix
        var lowerInclusive = true
        if let start = request.startAfter, start >= lower {
            lower = start
            lowerInclusive = false
        }
        let upper = Keys.rangeEnd(of: request.prefix) ?? "\u{7F}\u{7F}"
        let limit: Int64? = (request.limit ?? 0) > 0 ? Int64(request.limit! + 1) : nil
        // SQLite's shape: walk the (key, revision) index in key order and keep, per key, the newest row at or below
        // the read revision; LIMIT stops the walk early. Keys are COLLATE "C", so the order is byte order.
        let rows = try await query(
            """
            WITH bounds AS (\(unescaped: Self.bounds)), at AS (SELECT head, compacted,
                coalesce(\(request.revision)::bigint, head) AS rev FROM bounds)
            SELECT at.head, at.compacted, at.rev, k.revision, k.key, k.create_revision, k.value FROM at
            LEFT JOIN LATERAL (
                SELECT l.revision, l.key, l.create_revision, l.value FROM skiff_log AS l
                WHERE l.key \(unescaped: lowerInclusive ? ">=" : ">") \(lower) AND l.key < \(upper)
                  AND l.revision <= at.rev
                  AND l.revision = (SELECT max(revision) FROM skiff_log WHERE key = l.key AND revision <= at.rev)
                  AND NOT l.deleted
                ORDER BY l.key LIMIT \(limit)::bigint) AS k ON true
            ORDER BY k.key
            """, "list",
            as: (Int64, Int64, Int64, Int64?, String?, Int64?, ByteBuffer?).self)
        guard let first = rows.first else { throw StoreError(.corrupt, "the revision counter row is missing") }
        try Self.checkReadable(request.revision, head: first.0, compacted: first.1)
        var items: [KeyValue] = []
        for row in rows {
            guard let modRevision = row.3, let key = row.4, let createRevision = row.5, let value = row.6 else {
                continue
            }
            items.append(
                KeyValue(
                    key: key, value: Array(value.readableBytesView), createRevision: createRevision,
                    modRevision: modRevision))
        }
        var hasMore = false
        if let limit, items.count == limit {
            items.removeLast()
            hasMore = true
        }
        return ListResult(items: items, revision: first.2, hasMore: hasMore)
    }

    public func currentRevision() async throws(StoreError) -> Revision {
        let rows = try await query("SELECT value FROM skiff_revision WHERE id = 1", "read", as: Int64.self)
        return rows.first ?? 0
    }

    public func compactedRevision() async throws(StoreError) -> Revision {
        let rows = try await query(
            "SELECT value FROM skiff_meta WHERE name = 'compact_revision'", "read", as: Int64.self)
        return rows.first ?? 0
    }

    /// The newest revision issued and the compaction floor, as one row.
    static let bounds = """
        SELECT r.value AS head, coalesce((SELECT m.value FROM skiff_meta AS m WHERE m.name = 'compact_revision'), 0)
            AS compacted FROM skiff_revision AS r WHERE r.id = 1
        """

    /// The same checks as SQLite's: neither compacted nor in the future.
    private static func checkReadable(_ revision: Revision?, head: Revision, compacted: Revision) throws(StoreError) {
        guard let revision else { return }
        if revision < compacted {
            throw StoreError(.expired, "required revision \(revision) has been compacted (oldest is \(compacted))")
        }
        if revision > head {
            throw StoreError(.invalidRequest, "revision \(revision) is newer than the current revision \(head)")
        }
    }

    /// Runs one statement on a pooled connection and decodes every row.
    func query<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, _ what: String, as types: (repeat each Column).Type
    ) async throws(StoreError) -> [(repeat each Column)] {
        do {
            return try await withDeadline(what) {
                var rows: [(repeat each Column)] = []
                for try await row in try await self.client.query(query, logger: self.logger).decode(
                    (repeat each Column).self)
                {
                    rows.append(row)
                }
                return rows
            }
        } catch {
            throw storeError(error, what)
        }
    }

    /// Runs a prepared statement on a pooled connection and returns every row.
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, _ what: String
    ) async throws(StoreError) -> [Statement.Row] where Statement.Row: Sendable {
        do {
            return try await withDeadline(what) {
                try await self.client.withConnection { connection in
                    var rows: [Statement.Row] = []
                    for try await row in try await connection.execute(statement, logger: self.logger) {
                        rows.append(row)
                    }
                    return rows
                }
            }
        } catch {
            throw storeError(error, what)
        }
    }

    /// Runs `body`, cancelling it after `operationTimeout`. Cancellation withdraws a request still waiting for a
    /// connection; one already running finishes, and its own outcome is reported (a write that committed is never
    /// answered as failed).
    func withDeadline<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = options.operationTimeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let value = try await group.next() ?? nil { return value }
            group.cancelAll()
            do {
                if let value = try await group.next() ?? nil { return value }
            } catch  where !Task.isCancelled {
                throw StoreError(
                    .unavailable,
                    "\(what) on PostgreSQL \(endpoint.displayName) failed: no connection within \(timeout)",
                    cause: error)
            }
            throw CancellationError()
        }
    }

    /// A PostgreSQL or pool failure as the store reports it: the database is unavailable (→ 503), or the caller
    /// went away.
    func storeError(_ error: any Error, _ what: String) -> StoreError {
        let error = Self.unwrapped(error)
        if let error = error as? StoreError { return error }
        if error is CancellationError { return StoreError(.cancelled, "\(what) on \(endpoint.displayName) cancelled") }
        let why = Self.tlsReason(error, endpoint: endpoint) ?? Self.reason(error)
        return StoreError(.unavailable, "\(what) on PostgreSQL \(endpoint.displayName) failed: \(why)", cause: error)
    }

    /// Why a TLS connection to `endpoint` failed, in the operator's terms (which file or name to fix); nil when
    /// `error` is not about TLS.
    static func tlsReason(_ error: any Error, endpoint: PostgresEndpoint) -> String? {
        var error = unwrapped(error)
        if let failed = error as? PSQLError {
            if failed.code == .sslUnsupported {
                return "the server does not accept TLS, and sslmode=\(endpoint.sslMode.rawValue) requires it"
            }
            guard let underlying = failed.underlying else { return nil }
            error = underlying
        }
        let roots = endpoint.caFile.map { "the datastore CA file's CA (\($0))" } ?? "the system's trusted CAs"
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let host =
                switch endpoint.address {
                case .tcp(let host, _): host
                case .unixSocket(let path): path
                }
            return "TLS: the server's certificate does not name \(host) (sslmode=verify-full checks the host name; "
                + "connect by a name the certificate holds, or use sslmode=verify-ca)"
        }
        guard let tls = error as? NIOSSLError else { return nil }
        if case .handshakeFailed(let reason) = tls, "\(reason)".contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the server's certificate is not signed by \(roots), or is not valid now"
        }
        return "TLS handshake failed: \(tls)"
    }

    /// What a transaction's body, BEGIN or COMMIT threw, without PostgresNIO's `PostgresTransactionError` around it
    /// (a `StoreError` thrown inside a transaction comes back as itself).
    static func unwrapped(_ error: any Error) -> any Error {
        guard let failed = error as? PostgresTransactionError else { return error }
        return failed.closureError ?? failed.beginError ?? failed.commitError ?? failed
    }

    /// One line saying why PostgreSQL refused or failed, without the query or its values.
    static func reason(_ error: any Error) -> String {
        let error = unwrapped(error)
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        let text = "\(error)"
        // The pool's error type lives in an underscored module; after its circuit breaker tripped (connections
        // failing for a while) it fails requests at once.
        return text.contains("CircuitBreakerTripped") ? "cannot connect to the database (pool retrying)" : text
    }

    // MARK: Compaction

    @discardableResult
    public func compact(upTo revision: Revision) async throws(StoreError) -> Int {
        let logger = self.logger
        do {
            return try await withDeadline("compaction") {
                try await self.client.withTransaction(logger: logger) { connection -> Int in
                    // Under the counter's lock: no write interleaves with the delete.
                    let head =
                        try await connection.query(
                            "SELECT value FROM skiff_revision WHERE id = 1 FOR UPDATE", logger: logger
                        ).decode(Int64.self).first { _ in true } ?? 0
                    let compacted =
                        try await connection.query(
                            "SELECT value FROM skiff_meta WHERE name = 'compact_revision'", logger: logger
                        ).decode(Int64.self).first { _ in true } ?? 0
                    let target = min(revision, head)
                    guard target > compacted else { return 0 }
                    // A row at or below the target is dead if it is a tombstone or a newer row at or below the target
                    // exists for its key: no read at a revision >= target can reach it.
                    let removed =
                        try await connection.query(
                            """
                            WITH gone AS (DELETE FROM skiff_log AS l WHERE l.revision <= \(target) AND (l.deleted OR EXISTS (
                                SELECT 1 FROM skiff_log AS n WHERE n.key = l.key AND n.revision > l.revision
                                  AND n.revision <= \(target))) RETURNING 1)
                            SELECT count(*) FROM gone
                            """, logger: logger
                        ).decode(Int64.self).first { _ in true } ?? 0
                    try await connection.query(
                        """
                        INSERT INTO skiff_meta (name, value) VALUES ('compact_revision', \(target))
                        ON CONFLICT (name) DO UPDATE SET value = excluded.value
                        """, logger: logger)
                    return Int(removed)
                }
            }
        } catch {
            throw storeError(error, "compaction")
        }
    }
}
