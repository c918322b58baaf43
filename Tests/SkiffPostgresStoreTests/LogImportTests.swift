import Foundation
import Logging
import SkiffPostgresStore
import SkiffStore
import SkiffTesting
import Testing

/// `skiff datastore migrate`'s store half: an SQLite log copied into PostgreSQL answers every read, watch and
/// compare-and-swap as the SQLite store did, with the same revisions; a database with data is refused untouched.
@Suite(.enabled(if: TemporaryPostgres.unavailableReason == nil, "PostgreSQL is not available"))
struct LogImportTests {
    let logger = Logger(label: "test")

    /// An SQLite store with creates, updates, deletes, a compaction and writes after it; closed, its path returned.
    func populatedSQLite(_ directory: TemporaryDirectory) async throws -> String {
        let path = directory.file("state.db")
        let store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        var last: [String: KeyValue] = [:]
        for index in 0..<40 {
            last["/m/a/\(index)"] = try await store.create("/m/a/\(index)", value: Array("v\(index)".utf8))
        }
        for index in stride(from: 0, to: 40, by: 3) {
            let key = "/m/a/\(index)"
            last[key] = try await store.update(
                key, value: Array("u\(index)".utf8), expectedRevision: last[key]!.modRevision)
        }
        for index in stride(from: 1, to: 40, by: 5) {
            try await store.delete("/m/a/\(index)", expectedRevision: nil)
        }
        try await store.compact(upTo: try await store.currentRevision() - 10)
        for index in 0..<5 {
            let key = "/m/b/\(index)"
            let created = try await store.create(key, value: Array("b\(index)".utf8))
            try await store.update(key, value: Array("c\(index)".utf8), expectedRevision: created.modRevision)
        }
        try await store.delete("/m/b/4", expectedRevision: nil)
        return path
    }

    /// Every answer the API server asks a store for, at every revision the source can still answer.
    func answers(_ store: some KeyValueStore, through head: Revision, compacted: Revision) async throws -> [String] {
        var answers: [String] = []
        for revision in compacted...head {
            let list = try await store.list(ListRequest(prefix: "/m/", revision: revision))
            answers.append(
                "list@\(revision): \(list.revision) "
                    + list.items.map { "\($0.key)=\($0.createRevision)/\($0.modRevision)/\(bytes($0.value))" }
                    .joined(separator: ","))
            let get = try await store.get("/m/a/3", revision: revision)
            answers.append("get@\(revision): \(get.map { "\($0.modRevision)/\(bytes($0.value))" } ?? "none")")
        }
        let paged = try await store.list(ListRequest(prefix: "/m/a/", limit: 7))
        answers.append("page: \(paged.items.map(\.key)) \(paged.hasMore)")
        let events = try await collect(
            try await store.watch(prefix: "/m/", after: compacted), count: Int(head - compacted))
        answers += events.map { event in
            "\(event.kind) \(event.current.key) \(event.revision) \(event.current.createRevision) "
                + "prev=\(event.previous.map { "\($0.modRevision)/\(bytes($0.value))" } ?? "none")"
        }
        answers.append("current \(try await store.currentRevision()) compacted \(try await store.compactedRevision())")
        return answers
    }

    func bytes(_ value: [UInt8]) -> String { String(decoding: value, as: UTF8.self) }

    @Test func aMigratedLogAnswersAsTheSQLiteStoreDid() async throws {
        let directory = try TemporaryDirectory("skiff-migrate")
        defer { directory.remove() }
        let path = try await populatedSQLite(directory)
        let sqlite = try SQLiteStore(path: path, logger: logger)
        let head = try await sqlite.currentRevision()
        let compacted = try await sqlite.compactedRevision()
        #expect(compacted > 0)
        let expected = try await answers(sqlite, through: head, compacted: compacted)
        let expiredOnSQLite = await #expect(throws: StoreError.self) {
            try await sqlite.list(ListRequest(prefix: "/m/", revision: compacted - 1))
        }
        sqlite.close()

        let endpoint = try PostgresEndpoint(url: try await TemporaryPostgres.shared().createDatabase("migrate"))
        let reader = try SQLiteLogReader(path: path)
        // Small statements, so the copy spans several of them.
        let summary = try await PostgresStore.importLog(
            endpoint: endpoint, from: reader, rowsPerStatement: 16, logger: logger)
        reader.close()
        #expect(summary.currentRevision == head)
        #expect(summary.compactedRevision == compacted)

        try await PostgresStore.withStore(endpoint: endpoint, logger: logger) { (postgres) async throws in
            #expect(try await answers(postgres, through: head, compacted: compacted) == expected)
            let expiredOnPostgres = await #expect(throws: StoreError.self) {
                try await postgres.list(ListRequest(prefix: "/m/", revision: compacted - 1))
            }
            #expect(expiredOnPostgres?.code == expiredOnSQLite?.code)
            #expect(expiredOnPostgres?.code == .expired)
            // Compare-and-swap on a migrated revision works, and the next revision follows the source's head.
            let current = try #require(try await postgres.get("/m/b/0"))
            let updated = try await postgres.update("/m/b/0", value: [], expectedRevision: current.modRevision)
            #expect(updated.modRevision == head + 1)
            await #expect(throws: StoreError.self) {
                try await postgres.update("/m/b/0", value: [], expectedRevision: current.modRevision)
            }
        }
    }

    @Test func aDatabaseWithDataIsRefusedAndLeftAsItWas() async throws {
        let directory = try TemporaryDirectory("skiff-migrate")
        defer { directory.remove() }
        let path = try await populatedSQLite(directory)
        let endpoint = try PostgresEndpoint(url: try await TemporaryPostgres.shared().createDatabase("migrate"))
        try await PostgresStore.withStore(endpoint: endpoint, logger: logger) { postgres in
            _ = try await postgres.create("/other/x", value: Array("x".utf8))
        }
        let reader = try SQLiteLogReader(path: path)
        defer { reader.close() }
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.importLog(endpoint: endpoint, from: reader, logger: logger)
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("already holds skiff data (revision 1)") == true)
        try await PostgresStore.withStore(endpoint: endpoint, logger: logger) { (postgres) async throws in
            #expect(try await postgres.currentRevision() == 1)
            #expect(try await postgres.list(ListRequest(prefix: "/")).items.map(\.key) == ["/other/x"])
        }
    }

    /// A second migration into the database the first one filled is refused too (the e2e does it through the CLI).
    @Test func aSecondMigrationIsRefused() async throws {
        let directory = try TemporaryDirectory("skiff-migrate")
        defer { directory.remove() }
        let path = try await populatedSQLite(directory)
        let endpoint = try PostgresEndpoint(url: try await TemporaryPostgres.shared().createDatabase("migrate"))
        let reader = try SQLiteLogReader(path: path)
        defer { reader.close() }
        let first = try await PostgresStore.importLog(endpoint: endpoint, from: reader, logger: logger)
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.importLog(endpoint: endpoint, from: reader, logger: logger)
        }
        #expect(error?.message.contains("already holds skiff data (revision \(first.currentRevision))") == true)
    }

    /// A log that breaks revision order fails the copy, and the transaction leaves the database empty.
    @Test func aBrokenLogRollsTheWholeCopyBack() async throws {
        struct OutOfOrder: StoreLogSource {
            let currentRevision: Revision = 3
            let compactedRevision: Revision = 0
            func rows(after revision: Revision, limit: Int, maxBytes: Int) async throws(StoreError) -> [LogRow] {
                switch revision {
                case 0: [LogRow(revision: 2, key: "/a", createRevision: 2, prevRevision: 0, deleted: false, value: [])]
                case 2: [LogRow(revision: 1, key: "/b", createRevision: 1, prevRevision: 0, deleted: false, value: [])]
                default: []
                }
            }
        }
        let endpoint = try PostgresEndpoint(url: try await TemporaryPostgres.shared().createDatabase("migrate"))
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.importLog(
                endpoint: endpoint, from: OutOfOrder(), rowsPerStatement: 1, logger: logger)
        }
        #expect(error?.code == .corrupt)
        try await PostgresStore.withStore(endpoint: endpoint, logger: logger) { (postgres) async throws in
            #expect(try await postgres.currentRevision() == 0)
            #expect(try await postgres.list(ListRequest(prefix: "/")).items.isEmpty)
        }
    }
}
