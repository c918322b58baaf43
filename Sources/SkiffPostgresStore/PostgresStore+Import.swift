import Logging
import NIOCore
import PostgresNIO
import SkiffStore

extension PostgresStore {
    /// What `importLog` copied.
    public struct ImportSummary: Sendable, Equatable {
        /// Log rows written (creates, updates and tombstones).
        public var rows: Int
        /// The revision counter afterwards: the source's newest revision.
        public var currentRevision: Revision
        /// The compaction floor afterwards: the source's.
        public var compactedRevision: Revision
    }

    /// Copies a whole log (`skiff datastore migrate`) into the skiff schema at `endpoint`, which must hold no data:
    /// every row with its own revision, create revision and previous revision, then the revision counter and the
    /// compaction floor. Reads, watches from a revision and compare-and-swaps then answer as on the source.
    ///
    /// Everything happens in one transaction — schema, rows in statements of `rowsPerStatement` (an `unnest` of
    /// column arrays), counter, floor — so a refusal or a failure leaves the database as it was. The transaction
    /// holds the schema lock and the counter's row lock: a server starting on the database meanwhile waits, and
    /// then starts from the copied head. A database with any row, a revision or a compaction floor is refused.
    public static func importLog(
        endpoint: PostgresEndpoint, from source: some StoreLogSource, rowsPerStatement: Int = 4096,
        bytesPerStatement: Int = 32 << 20, connectTimeout: Duration = .seconds(10), logger: Logger
    ) async throws(StoreError) -> ImportSummary {
        let connection = try await connectOnce(endpoint: endpoint, connectTimeout: connectTimeout, logger: logger)
        do {
            let summary = try await connection.withTransaction(logger: logger) { connection in
                try await createSchema(connection, endpoint: endpoint, logger: logger)
                try await checkEmpty(connection, endpoint: endpoint, logger: logger)
                var check = LogSequenceCheck(currentRevision: source.currentRevision)
                while true {
                    let rows = try await source.rows(
                        after: check.lastRevision, limit: rowsPerStatement, maxBytes: bytesPerStatement)
                    guard !rows.isEmpty else { break }
                    for row in rows { try check.admit(row) }
                    try await insert(rows, connection, logger: logger)
                }
                try await connection.query(
                    "UPDATE skiff_revision SET value = \(source.currentRevision) WHERE id = 1", logger: logger)
                if source.compactedRevision > 0 {
                    try await connection.query(
                        "INSERT INTO skiff_meta (name, value) VALUES ('compact_revision', \(source.compactedRevision))",
                        logger: logger)
                }
                return ImportSummary(
                    rows: check.rows, currentRevision: source.currentRevision,
                    compactedRevision: source.compactedRevision)
            }
            try? await connection.close()
            return summary
        } catch {
            try? await connection.close()
            // PostgresNIO wraps what the transaction's body threw; a refusal is reported as itself.
            throw preparationError(error, endpoint: endpoint) {
                "copy into PostgreSQL \(endpoint.displayName) failed: \($0)"
            }
        }
    }

    /// Refuses a database a server has written to (or a migration has filled): rows, a revision or a floor.
    private static func checkEmpty(
        _ connection: PostgresConnection, endpoint: PostgresEndpoint, logger: Logger
    ) async throws {
        let state = try await connection.query(
            """
            SELECT (SELECT value FROM skiff_revision WHERE id = 1 FOR UPDATE),
                (SELECT count(*) FROM (SELECT 1 FROM skiff_log LIMIT 1) AS any_row),
                coalesce((SELECT value FROM skiff_meta WHERE name = 'compact_revision'), 0)
            """, logger: logger
        ).decode((Int64?, Int64, Int64).self).first { _ in true }
        guard let state, let head = state.0 else { throw StoreError(.corrupt, "the revision counter row is missing") }
        guard head == 0, state.1 == 0, state.2 == 0 else {
            throw StoreError(
                .invalidRequest,
                "PostgreSQL database \(endpoint.displayName) already holds skiff data (revision \(head)); "
                    + "migrate only into an empty database")
        }
    }

    /// One statement for a page of rows: column arrays, unnested.
    private static func insert(_ rows: [LogRow], _ connection: PostgresConnection, logger: Logger) async throws {
        let revisions = rows.map(\.revision)
        let keys = rows.map(\.key)
        let creates = rows.map(\.createRevision)
        let prevs = rows.map(\.prevRevision)
        let deleted = rows.map(\.deleted)
        let values = rows.map { ByteBuffer(bytes: $0.value) }
        try await connection.query(
            """
            INSERT INTO skiff_log (revision, key, create_revision, prev_revision, deleted, value)
            SELECT * FROM unnest(\(revisions)::bigint[], \(keys)::text[], \(creates)::bigint[], \(prevs)::bigint[],
                \(deleted)::boolean[], \(values)::bytea[])
            """, logger: logger)
    }
}
