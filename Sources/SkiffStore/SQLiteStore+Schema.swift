import Foundation
import GRDB

extension SQLiteStore {
    /// Refuses a file that exists but is not SQLite at all, before SQLite could touch it.
    static func checkHeader(path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue {
            throw StoreError(.corrupt, "database \(path) is a directory, not a file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError(.unavailable, "database \(path) is not readable")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError(.corrupt, "database \(path) is not an SQLite database (bad header); refusing to touch it")
        }
    }

    /// Checks, without writing a byte, that an existing file is a skiff database of a known version whose header
    /// and schema read back. Opening a `DatabasePool` switches the file to WAL mode, so foreign files must be refused
    /// before that. Damage deeper in the file is `checkIntegrity`'s to find: reading every page here made a restart
    /// take seconds per few hundred MB (5 s for 244 MB from a cold cache).
    static func inspect(path: String) throws(StoreError) {
        try checkHeader(path: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { return }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if applicationID == 0, tables == 0 { return }
                guard applicationID == Self.applicationID else {
                    throw StoreError(.corrupt, "database \(path) is not a skiff database; refusing to modify it")
                }
                let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard version == Self.schemaVersion else {
                    throw StoreError(
                        .corrupt,
                        "database \(path) has schema version \(version); this skiff knows \(Self.schemaVersion)")
                }
                guard try db.tableExists("kv"), try db.tableExists("meta") else {
                    throw StoreError(.corrupt, "database \(path) is damaged: its log tables are missing")
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.corrupt, "database \(path) cannot be read as a skiff database", cause: error)
        }
    }

    /// Creates the schema in a new (empty) database; `inspect` vetted existing ones.
    ///
    /// The log's ids are revisions, assigned by the store (its only writer) as the next after `currentRevision`.
    /// Databases created before this version declared the id AUTOINCREMENT, which rewrites `sqlite_sequence` in every
    /// commit — a whole page per transaction for nothing the store needs; their highest issued id moves into
    /// `revision_floor` once, and from then on both kinds of file are read the same way.
    static func migrate(_ db: Database) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        guard applicationID != Self.applicationID else {
            if try db.tableExists("sqlite_sequence") {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO meta (name, value)
                        SELECT 'revision_floor', seq FROM sqlite_sequence WHERE name = 'kv' AND seq > ?
                        """, arguments: [try currentRevision(db)])
            }
            return
        }
        try db.execute(
            sql: """
                CREATE TABLE kv (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL,
                    create_revision INTEGER NOT NULL,
                    prev_revision INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    value BLOB NOT NULL
                );
                CREATE INDEX kv_key_id ON kv (key, id);
                CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                PRAGMA application_id = \(Self.applicationID);
                PRAGMA user_version = \(Self.schemaVersion);
                """)
    }
}
