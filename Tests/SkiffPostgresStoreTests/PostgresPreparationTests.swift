import Foundation
import Logging
import SkiffStore
import SkiffTesting
import Testing

@testable import SkiffPostgresStore

/// What `PostgresStore.connect` says about a database it cannot use: the reason, typed, in one line — not
/// "unavailable" with PostgresNIO's transaction wrapper printed as the reason.
@Suite struct PostgresSchemaShapeTests {
    @Test func skiffsOwnTablesPass() {
        #expect(PostgresStore.schemaShapeProblem(PostgresStore.expectedColumns) == nil)
        var withExtra = PostgresStore.expectedColumns
        withExtra["skiff_log"]!["note"] = "text"
        #expect(PostgresStore.schemaShapeProblem(withExtra) == nil, "an operator's extra column is allowed")
    }

    @Test func missingTablesColumnsAndOtherTypesAreNamed() {
        var found = PostgresStore.expectedColumns
        found["skiff_meta"] = nil
        found["skiff_log"]!["deleted"] = nil
        found["skiff_log"]!["value"] = "text"
        #expect(
            PostgresStore.schemaShapeProblem(found)
                == "skiff_log has no column deleted; skiff_log.value is text, skiff needs bytea; table skiff_meta is missing"
        )
    }
}

@Suite(.enabled(if: TemporaryPostgres.unavailableReason == nil, "PostgreSQL is not available"))
struct PostgresPreparationTests {
    let logger = Logger(label: "test")

    /// The database a `postgres://` URL names.
    func databaseName(_ url: String) -> String { String(URLComponents(string: url)!.path.dropFirst()) }

    func connectError(_ url: String) async throws -> StoreError? {
        let endpoint = try PostgresEndpoint(url: url)
        return await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.connect(endpoint: endpoint, logger: logger)
        }
    }

    /// PostgreSQL 15 and later: only the database's owner may create in `public`.
    @Test func aUserWithoutCreateOnTheSchemaIsToldSo() async throws {
        let server = try await TemporaryPostgres.shared()
        let url = try await server.createDatabase("perm")
        let database = databaseName(url)
        try await server.execute("CREATE ROLE skiff_noperm_\(getpid()) LOGIN")
        try await server.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC", database: database)
        let error = try await connectError(
            url.replacingOccurrences(of: "postgres@", with: "skiff_noperm_\(getpid())@"))
        #expect(error?.code == .unavailable)
        #expect(error?.cause as? PostgresSchemaError == .permissionDenied("permission denied for schema public"))
        #expect(
            error?.message.contains("permission denied for schema public (SQLSTATE 42501)") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("cannot prepare PostgreSQL database skiff_noperm_") == true)
        #expect(error?.message.contains("PostgresTransactionError") == false)
        #expect(error?.message.contains("\n") == false)
    }

    /// Tables made by another role: the schema exists, but this user may not write skiff's counter.
    @Test func tablesOwnedByAnotherRoleAreAPermissionError() async throws {
        let server = try await TemporaryPostgres.shared()
        let url = try await server.createDatabase("owned")
        let database = databaseName(url)
        _ = try await PostgresStore.connect(endpoint: try PostgresEndpoint(url: url), logger: logger)
        let role = "skiff_reader_\(getpid())"
        try await server.execute("CREATE ROLE \(role) LOGIN")
        try await server.execute("GRANT CREATE ON SCHEMA public TO \(role)", database: database)
        let error = try await connectError(url.replacingOccurrences(of: "postgres@", with: "\(role)@"))
        #expect(error?.code == .unavailable)
        guard case .permissionDenied(let message)? = error?.cause as? PostgresSchemaError else {
            Issue.record("not a permission error: \(String(describing: error))")
            return
        }
        // "must be owner of table skiff_log" (its index) or "permission denied for table skiff_revision".
        #expect(message.contains("table skiff_"), "\(message)")
        #expect(error?.message.contains("(SQLSTATE 42501)") == true, "\(error?.message ?? "")")
    }

    @Test func anotherSchemaVersionIsCorrupt() async throws {
        let server = try await TemporaryPostgres.shared()
        let url = try await server.createDatabase("version")
        let database = databaseName(url)
        _ = try await PostgresStore.connect(endpoint: try PostgresEndpoint(url: url), logger: logger)
        try await server.execute("UPDATE skiff_meta SET value = 7 WHERE name = 'schema_version'", database: database)
        let error = try await connectError(url)
        #expect(error?.code == .corrupt)
        #expect(error?.cause as? PostgresSchemaError == .version(found: 7, supported: 1))
        #expect(
            error?.message.hasSuffix("has skiff schema version 7; this skiff knows 1") == true,
            "\(error?.message ?? "")")
    }

    @Test func aForeignTableOfSkiffsNameIsRefused() async throws {
        let server = try await TemporaryPostgres.shared()
        let url = try await server.createDatabase("foreign")
        let database = databaseName(url)
        try await server.execute(
            "CREATE TABLE skiff_log (revision bigint PRIMARY KEY, key text, value text)", database: database)
        let error = try await connectError(url)
        #expect(error?.code == .corrupt)
        let problem =
            "skiff_log has no column create_revision; skiff_log has no column deleted; "
            + "skiff_log has no column prev_revision; skiff_log.value is text, skiff needs bytea"
        #expect(error?.cause as? PostgresSchemaError == .shape(problem))
        #expect(error?.message.hasSuffix("is not skiff's: \(problem)") == true, "\(error?.message ?? "")")
        // Nothing was left half-made: the transaction rolled back, the foreign table is as it was.
        let again = try await connectError(url)
        #expect(again?.cause as? PostgresSchemaError == .shape(problem))
    }
}
