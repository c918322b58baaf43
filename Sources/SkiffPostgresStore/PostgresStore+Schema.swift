import Logging
import NIOCore
import PostgresNIO
import SkiffStore

extension PostgresStore {
    static let schemaVersion: Int64 = 1

    /// The schema, created once under an advisory lock (servers starting together do not race on it).
    ///
    /// `skiff_log` is SQLite's `kv` table: one row per write, its revision the primary key. Keys are `COLLATE "C"`,
    /// so the `(key, revision)` index serves prefix ranges and key order in byte order, as SQLite's BINARY does.
    /// `skiff_revision` is the one-row counter every writer locks; `skiff_meta` holds the compaction floor.
    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS skiff_log (
            revision bigint PRIMARY KEY,
            key text COLLATE "C" NOT NULL,
            create_revision bigint NOT NULL,
            prev_revision bigint NOT NULL,
            deleted boolean NOT NULL,
            value bytea NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS skiff_log_key_revision ON skiff_log (key, revision)",
        """
        CREATE TABLE IF NOT EXISTS skiff_revision (
            id smallint PRIMARY KEY CHECK (id = 1),
            value bigint NOT NULL
        )
        """,
        "INSERT INTO skiff_revision (id, value) VALUES (1, 0) ON CONFLICT DO NOTHING",
        "CREATE TABLE IF NOT EXISTS skiff_meta (name text PRIMARY KEY, value bigint NOT NULL)",
        "INSERT INTO skiff_meta (name, value) VALUES ('schema_version', \(schemaVersion)) ON CONFLICT DO NOTHING",
    ]

    /// Connects once (so a failure carries the server's reason), creates the schema if missing, checks its version,
    /// and returns the current revision.
    static func prepareDatabase(
        endpoint: PostgresEndpoint, connectTimeout: Duration, logger: Logger
    ) async throws(StoreError) -> Revision {
        let connection = try await connectOnce(endpoint: endpoint, connectTimeout: connectTimeout, logger: logger)
        do {
            let head = try await prepareSchema(connection, endpoint: endpoint, logger: logger)
            try? await connection.close()
            return head
        } catch {
            // A connection must be closed before it goes away.
            try? await connection.close()
            throw error
        }
    }

    /// One plain connection (not the pool), so a failure carries the server's reason. The caller closes it.
    static func connectOnce(
        endpoint: PostgresEndpoint, connectTimeout: Duration, logger: Logger
    ) async throws(StoreError) -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        do {
            configuration = try endpoint.connectionConfiguration()
        } catch {
            throw StoreError(.invalidRequest, error.message)
        }
        configuration.options.connectTimeout = .nanoseconds(
            connectTimeout.components.seconds * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000)
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            let why = tlsReason(error, endpoint: endpoint) ?? reason(error)
            throw StoreError(
                .unavailable, "cannot connect to PostgreSQL at \(endpoint.displayName): \(why)", cause: error)
        }
    }

    /// Creates the schema if missing and checks its version and shape, inside the caller's transaction (under the
    /// schema lock). Throws `StoreError(.corrupt)` with a `PostgresSchemaError` cause for a schema that is not this
    /// skiff's.
    static func createSchema(
        _ connection: PostgresConnection, endpoint: PostgresEndpoint, logger: Logger
    ) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(schemaLock))", logger: logger)
        for statement in schema {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        // CREATE TABLE IF NOT EXISTS accepts a table of the same name whatever its columns: compare them, so a
        // foreign table fails here rather than every later query.
        var found: [String: [String: String]] = [:]
        let columns = try await connection.query(
            """
            SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
            WHERE c.oid IN (to_regclass('skiff_log'), to_regclass('skiff_revision'), to_regclass('skiff_meta'))
              AND a.attnum > 0 AND NOT a.attisdropped
            """, logger: logger)
        for try await (table, column, type) in columns.decode((String, String, String).self) {
            found[table, default: [:]][column] = type
        }
        if let problem = schemaShapeProblem(found) {
            throw StoreError(
                .corrupt, "PostgreSQL database \(endpoint.displayName) is not skiff's: \(problem)",
                cause: PostgresSchemaError.shape(problem))
        }
        let version =
            try await connection.query(
                "SELECT value FROM skiff_meta WHERE name = 'schema_version'", logger: logger
            ).decode(Int64.self).first { _ in true } ?? 0
        guard version == schemaVersion else {
            throw StoreError(
                .corrupt,
                "PostgreSQL database \(endpoint.displayName) has skiff schema version \(version); "
                    + "this skiff knows \(schemaVersion)",
                cause: PostgresSchemaError.version(found: version, supported: schemaVersion))
        }
    }

    /// The columns and types of skiff's tables, as `format_type` names them.
    static let expectedColumns: [String: [String: String]] = [
        "skiff_log": [
            "revision": "bigint", "key": "text", "create_revision": "bigint", "prev_revision": "bigint",
            "deleted": "boolean", "value": "bytea",
        ],
        "skiff_revision": ["id": "smallint", "value": "bigint"],
        "skiff_meta": ["name": "text", "value": "bigint"],
    ]

    /// What differs between the tables found (table → column → type) and skiff's, in one line; nil if nothing.
    /// Extra columns are allowed (an operator's own), missing ones and other types are not.
    static func schemaShapeProblem(_ found: [String: [String: String]]) -> String? {
        var problems: [String] = []
        for table in expectedColumns.keys.sorted() {
            let expected = expectedColumns[table]!
            guard let columns = found[table] else {
                problems.append("table \(table) is missing")
                continue
            }
            for column in expected.keys.sorted() {
                guard let type = columns[column] else {
                    problems.append("\(table) has no column \(column)")
                    continue
                }
                if type != expected[column] {
                    problems.append("\(table).\(column) is \(type), skiff needs \(expected[column]!)")
                }
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// The advisory lock schema creation (and a migration into the database) runs under.
    static let schemaLock = Int64(0x534B_4946)

    private static func prepareSchema(
        _ connection: PostgresConnection, endpoint: PostgresEndpoint, logger: Logger
    ) async throws(StoreError) -> Revision {
        do {
            return try await connection.withTransaction(logger: logger) { connection in
                try await createSchema(connection, endpoint: endpoint, logger: logger)
                return try await connection.query("SELECT value FROM skiff_revision WHERE id = 1", logger: logger)
                    .decode(Int64.self).first { _ in true } ?? 0
            }
        } catch {
            throw preparationError(error, endpoint: endpoint) {
                "cannot prepare PostgreSQL database \(endpoint.displayName): \($0)"
            }
        }
    }

    /// What went wrong while creating or checking the schema, as the store reports it: PostgresNIO's transaction
    /// wrapper taken off, a refusal thrown inside as itself, a missing privilege (SQLSTATE 42501) as `.unavailable`
    /// with a `PostgresSchemaError.permissionDenied` cause, anything else as `.unavailable`; `describe` words the
    /// reason into the message.
    static func preparationError(
        _ error: any Error, endpoint: PostgresEndpoint, describe: (String) -> String
    ) -> StoreError {
        let error = unwrapped(error)
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "42501" {
            let user = endpoint.username
            let message = error.serverInfo?[.message] ?? "permission denied"
            return StoreError(
                .unavailable,
                describe(
                    "\(message) (SQLSTATE 42501): user \(user) needs CREATE on the schema and to own skiff's "
                        + "tables (e.g. make \(user) the database's owner)"),
                cause: PostgresSchemaError.permissionDenied(message))
        }
        return StoreError(.unavailable, describe(reason(error)), cause: error)
    }
}

/// Why a database cannot hold skiff's log: the `cause` of the `StoreError` `PostgresStore.connect` (and the
/// migration) throw.
public enum PostgresSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `skiff_meta` says another schema version than this skiff's.
    case version(found: Int64, supported: Int64)
    /// A table of skiff's name has other columns or types.
    case shape(String)
    /// The user may not create or use skiff's tables (the server's message).
    case permissionDenied(String)

    public var description: String {
        switch self {
        case .version(let found, let supported): "schema version \(found), this skiff knows \(supported)"
        case .shape(let problem): "not skiff's schema: \(problem)"
        case .permissionDenied(let message): message
        }
    }
}
