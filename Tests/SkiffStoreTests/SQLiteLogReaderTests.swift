import Foundation
import Logging
import SkiffTesting
import Testing

@testable import SkiffStore

/// The source half of `skiff datastore migrate`: the SQLite log read back in order, and what is refused.
@Suite struct SQLiteLogReaderTests {
    let logger = Logger(label: "test")

    @Test func readsEveryRowInRevisionOrderInPages() async throws {
        let directory = try TemporaryDirectory("skiff-export")
        defer { directory.remove() }
        let path = directory.file("state.db")
        let store = try SQLiteStore(path: path, logger: logger)
        let a = try await store.create("/e/a", value: Array("a1".utf8))
        try await store.update("/e/a", value: Array("a2".utf8), expectedRevision: a.modRevision)
        try await store.create("/e/b", value: Array(repeating: 7, count: 100))
        try await store.delete("/e/b", expectedRevision: nil)
        try await store.create("/e/c", value: [])
        store.close()

        let reader = try SQLiteLogReader(path: path)
        defer { reader.close() }
        #expect(reader.currentRevision == 5)
        #expect(reader.compactedRevision == 0)
        #expect(reader.rowCount == 5)
        #expect(reader.liveKeys == 2)
        var rows: [LogRow] = []
        var pages = 0
        var check = LogSequenceCheck(currentRevision: reader.currentRevision)
        while case let page = try await reader.rows(after: check.lastRevision, limit: 2, maxBytes: 1 << 20),
            !page.isEmpty
        {
            for row in page { try check.admit(row) }
            rows += page
            pages += 1
        }
        #expect(pages == 3)
        #expect(
            rows == [
                LogRow(
                    revision: 1, key: "/e/a", createRevision: 1, prevRevision: 0, deleted: false,
                    value: Array("a1".utf8)),
                LogRow(
                    revision: 2, key: "/e/a", createRevision: 1, prevRevision: 1, deleted: false,
                    value: Array("a2".utf8)),
                LogRow(
                    revision: 3, key: "/e/b", createRevision: 3, prevRevision: 0, deleted: false,
                    value: Array(repeating: 7, count: 100)),
                LogRow(
                    revision: 4, key: "/e/b", createRevision: 3, prevRevision: 3, deleted: true,
                    value: Array(repeating: 7, count: 100)),
                LogRow(revision: 5, key: "/e/c", createRevision: 5, prevRevision: 0, deleted: false, value: []),
            ])
        // A byte budget ends a page early, but never before its first row.
        #expect(try await reader.rows(after: 2, limit: 10, maxBytes: 50).map(\.revision) == [3])
    }

    @Test func theCompactionFloorAndTheHeadAfterCompactingTheNewestRowsAreRead() async throws {
        let directory = try TemporaryDirectory("skiff-export")
        defer { directory.remove() }
        let path = directory.file("state.db")
        let store = try SQLiteStore(path: path, logger: logger)
        try await store.create("/e/keep", value: [])
        let gone = try await store.create("/e/gone", value: [])
        let tombstone = try await store.delete("/e/gone", expectedRevision: gone.modRevision)
        try await store.compact(upTo: tombstone.modRevision)
        store.close()
        let reader = try SQLiteLogReader(path: path)
        defer { reader.close() }
        // The newest rows were compacted away; the head must not go back to the last remaining row.
        #expect(reader.currentRevision == tombstone.modRevision)
        #expect(reader.compactedRevision == tombstone.modRevision)
        #expect(try await reader.rows(after: 0, limit: 10, maxBytes: 1 << 20).map(\.key) == ["/e/keep"])
    }

    @Test func aDatabaseInUseIsRefused() async throws {
        let directory = try TemporaryDirectory("skiff-export")
        defer { directory.remove() }
        let path = directory.file("state.db")
        let store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        let error = #expect(throws: StoreError.self) { try SQLiteLogReader(path: path) }
        #expect(error?.message.contains("database is in use by another process") == true)
    }

    @Test func whileReadingNoServerCanOpenTheDatabase() async throws {
        let directory = try TemporaryDirectory("skiff-export")
        defer { directory.remove() }
        let path = directory.file("state.db")
        try SQLiteStore(path: path, logger: logger).close()
        let reader = try SQLiteLogReader(path: path)
        #expect(throws: StoreError.self) { try SQLiteStore(path: path, logger: logger) }
        reader.close()
        try SQLiteStore(path: path, logger: logger).close()
    }

    @Test func aMissingFileOrOneThatIsNotSkiffsIsRefused() throws {
        let directory = try TemporaryDirectory("skiff-export")
        defer { directory.remove() }
        let missing = #expect(throws: StoreError.self) { try SQLiteLogReader(path: directory.file("nothing.db")) }
        #expect(missing?.message.contains("does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: directory.file("nothing.db")))

        let text = directory.file("text.db")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: StoreError.self) { try SQLiteLogReader(path: text) }

        let empty = directory.file("empty.db")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let notSkiff = #expect(throws: StoreError.self) { try SQLiteLogReader(path: empty) }
        #expect(notSkiff?.message.contains("is not a skiff database") == true)
    }

    @Test func rowsOutOfOrderOrAboveTheHeadAreRejected() throws {
        var check = LogSequenceCheck(currentRevision: 10)
        try check.admit(LogRow(revision: 3, key: "/a", createRevision: 3, prevRevision: 0, deleted: false, value: []))
        #expect(throws: StoreError.self) {
            try check.admit(
                LogRow(revision: 3, key: "/b", createRevision: 3, prevRevision: 0, deleted: false, value: []))
        }
        #expect(throws: StoreError.self) {
            try check.admit(
                LogRow(revision: 11, key: "/b", createRevision: 11, prevRevision: 0, deleted: false, value: []))
        }
        #expect(throws: StoreError.self) {
            try check.admit(
                LogRow(revision: 5, key: "/a", createRevision: 6, prevRevision: 3, deleted: false, value: []))
        }
        #expect(throws: StoreError.self) {
            try check.admit(
                LogRow(revision: 5, key: "/a", createRevision: 3, prevRevision: 5, deleted: false, value: []))
        }
        try check.admit(LogRow(revision: 5, key: "/a", createRevision: 3, prevRevision: 3, deleted: true, value: []))
        #expect(check.rows == 2)
        #expect(check.lastRevision == 5)
    }
}
