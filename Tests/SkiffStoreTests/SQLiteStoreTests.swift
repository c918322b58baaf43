import Foundation
import Logging
import SkiffTesting
import Testing

@testable import SkiffStore

@Suite struct SQLiteStoreTests {
    let logger = Logger(label: "test")

    /// The settings durability rests on; that acknowledged writes really survive a power cut is proven end to end by
    /// tests/e2e/50-power-cut.sh (it loses every write no fsync covered).
    @Test func theWriterRunsWALWithSynchronousFull() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("state.db"), logger: logger)
        defer { store.close() }
        let (journal, synchronous) = try await store.durabilitySettings()
        #expect(journal == "wal")
        #expect(synchronous == 2, "synchronous must be FULL (2): NORMAL loses acknowledged writes on power loss")
    }

    @Test func restartRecoversDataHistoryAndRevisions() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        var store = try SQLiteStore(path: path, logger: logger)
        let first = try await store.create("/r/a", value: Array("a1".utf8))
        let second = try await store.update("/r/a", value: Array("a2".utf8), expectedRevision: first.modRevision)
        try await store.create("/r/b", value: Array("b1".utf8))
        let beforeRestart = try await store.currentRevision()
        store.close()

        store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        #expect(try await store.currentRevision() == beforeRestart)
        #expect(try await store.get("/r/a")?.modRevision == second.modRevision)
        let events = try await collect(try await store.watch(prefix: "/r/", after: 0), count: 3)
        #expect(events.map(\.revision) == [first.modRevision, second.modRevision, beforeRestart])
        let next = try await store.create("/r/c", value: [])
        #expect(next.modRevision == beforeRestart + 1)
    }

    @Test func revisionsNeverGoBackwardsAfterCompactingTheNewestRow() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        var store = try SQLiteStore(path: path, logger: logger)
        let kv = try await store.create("/x", value: [])
        let tombstone = try await store.delete("/x", expectedRevision: kv.modRevision)
        try await store.compact(upTo: tombstone.modRevision)
        store.close()
        store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        #expect(try await store.currentRevision() == tombstone.modRevision)
        #expect(try await store.create("/y", value: []).modRevision == tombstone.modRevision + 1)
    }

    /// A value that cannot be read (here an INTEGER where a BLOB belongs) is an error, not an empty object.
    @Test func anUnreadableValueIsAnErrorNotEmptyBytes() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        var store = try SQLiteStore(path: path, logger: logger)
        try await store.create("/r/a", value: Array("a1".utf8))
        store.close()
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "UPDATE kv SET value = 42 WHERE key = '/r/a';"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        await #expect(throws: StoreError.self) { _ = try await store.get("/r/a") }
    }

    /// A database from before the log dropped AUTOINCREMENT: its newest rows were compacted away, so only
    /// `sqlite_sequence` remembers the highest revision issued. Opened now, it goes on from there.
    @Test func aDatabaseWithTheEarlierAutoincrementLogKeepsItsRevisions() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            path,
            """
            CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, create_revision INTEGER NOT NULL,
                prev_revision INTEGER NOT NULL, deleted INTEGER NOT NULL, value BLOB NOT NULL);
            CREATE INDEX kv_key_id ON kv (key, id);
            CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT INTO kv (key, create_revision, prev_revision, deleted, value) VALUES
                ('/old/a', 1, 0, 0, x'61'), ('/old/b', 2, 0, 0, x'62'), ('/old/c', 3, 0, 0, x'63'),
                ('/old/c', 3, 3, 1, x'');
            DELETE FROM kv WHERE key = '/old/c';
            INSERT INTO meta VALUES ('compact_revision', 4);
            PRAGMA application_id = \(SQLiteStore.applicationID);
            PRAGMA user_version = \(SQLiteStore.schemaVersion);
            """,
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)

        var store = try SQLiteStore(path: path, logger: logger)
        #expect(try await store.currentRevision() == 4)
        #expect(try await store.get("/old/b").map { String(decoding: $0.value, as: UTF8.self) } == "b")
        #expect(try await store.create("/new/d", value: []).modRevision == 5)
        store.close()
        store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        #expect(try await store.currentRevision() == 5)
        #expect(try await store.create("/new/e", value: []).modRevision == 6)
    }

    /// Damage in the middle of a large file: opening stays quick (header and schema only) and the integrity check
    /// that runs after start finds it.
    @Test func damageDeepInTheFileIsFoundByTheIntegrityCheck() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        var store = try SQLiteStore(path: path, logger: logger)
        let value = [UInt8](repeating: 0x78, count: 1000)
        for index in 0..<2000 { try await store.create("/d/key-\(index)", value: value) }
        #expect(try await store.checkIntegrity() == [])
        try await store.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }  // the rows into the file
        store.close()

        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        #expect(size > 1_000_000)
        try handle.seek(toOffset: size / 2 / 4096 * 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()

        store = try SQLiteStore(path: path, logger: logger)
        defer { store.close() }
        let problems = try await store.checkIntegrity()
        #expect(!problems.isEmpty)
    }

    enum Corruption: String, CaseIterable, Sendable {
        case garbage
        case sqliteHeaderThenGarbage

        var content: [UInt8] {
            switch self {
            case .garbage: Array("this is definitely not a database, it is a text file".utf8)
            case .sqliteHeaderThenGarbage: Array("SQLite format 3\0".utf8) + Array(repeating: 0xAB, count: 4096)
            }
        }
    }

    @Test(arguments: Corruption.allCases)
    func corruptFilesAreRefusedAndLeftUntouched(corruption: Corruption) throws {
        let content = corruption.content
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        try Data(content).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path, logger: logger) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains(path) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(content))
    }

    @Test func foreignSQLiteDatabaseIsRefused() throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("other.db")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "CREATE TABLE t(x); INSERT INTO t VALUES (1);"]
        try sqlite.run()
        sqlite.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path, logger: logger) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("not a skiff database") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aReadOfACancelledTaskIsCancelledNotAFailure() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("state.db"), logger: logger)
        defer { store.close() }
        try await store.create("/c/a", value: Array("a".utf8))
        let read = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.get("/c/a")
        }
        let error = await #expect(throws: StoreError.self) { try await read.value }
        #expect(error?.code == .cancelled)
        #expect(try await store.get("/c/a") != nil, "an uncancelled read still succeeds")
    }

    @Test func secondOpenerIsLockedOut() throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("state.db"), logger: logger)
        defer { store.close() }
        let error = #expect(throws: StoreError.self) {
            _ = try SQLiteStore(path: directory.file("state.db"), logger: logger)
        }
        #expect(error?.code == .unavailable)
    }

    @Test func snapshotSaveAndRestore() async throws {
        let directory = try TemporaryDirectory("skiff-store")
        defer { directory.remove() }
        let path = directory.file("state.db")
        let snapshot = directory.file("snap.db")
        var store = try SQLiteStore(path: path, logger: logger)
        try await store.create("/s/kept", value: Array("before".utf8))
        // Online: the store stays open (and locked) while the snapshot is taken.
        try SQLiteStore.saveSnapshot(database: path, to: snapshot)
        let refused = #expect(throws: StoreError.self) { try SQLiteStore.saveSnapshot(database: path, to: snapshot) }
        #expect(refused?.code == .invalidRequest)
        try await store.create("/s/after", value: Array("after".utf8))

        let busy = #expect(throws: StoreError.self) { try SQLiteStore.restoreSnapshot(from: snapshot, to: path) }
        #expect(busy?.code == .unavailable)
        store.close()

        let kept = try #require(try SQLiteStore.restoreSnapshot(from: snapshot, to: path))
        store = try SQLiteStore(path: path, logger: logger)
        #expect(try await store.list(ListRequest(prefix: "/s/")).items.map(\.key) == ["/s/kept"])
        store.close()
        // The replaced database is kept whole.
        let previous = try SQLiteStore(path: kept, logger: logger)
        defer { previous.close() }
        #expect(try await previous.list(ListRequest(prefix: "/s/")).items.map(\.key) == ["/s/after", "/s/kept"])
    }
}
