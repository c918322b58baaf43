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
            throw StoreError(
                .unavailable, "cannot connect to PostgreSQL at \(endpoint.displayName): \(reason(error))", cause: error)
        }
    }

    /// Creates the schema if missing and checks its version, inside the caller's transaction (under the schema lock).
    static func createSchema(
        _ connection: PostgresConnection, endpoint: PostgresEndpoint, logger: Logger
    ) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(schemaLock))", logger: logger)
        for statement in schema {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        let version =
            try await connection.query(
                "SELECT value FROM skiff_meta WHERE name = 'schema_version'", logger: logger
            ).decode(Int64.self).first { _ in true } ?? 0
        guard version == schemaVersion else {
            throw StoreError(
                .corrupt,
                "PostgreSQL database \(endpoint.displayName) has skiff schema version \(version); "
                    + "this skiff knows \(schemaVersion)")
        }
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
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(
                .unavailable, "cannot prepare PostgreSQL database \(endpoint.displayName): \(reason(error))",
                cause: error)
        }
    }
}
