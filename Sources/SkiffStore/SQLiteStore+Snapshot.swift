import Foundation
import GRDB

extension SQLiteStore {
    /// Copies the database at `database` to a new file `destination`, consistently, while a server may be writing
    /// (SQLite's online backup API reads one snapshot). Refuses to overwrite an existing file.
    public static func saveSnapshot(database: String, to destination: String) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: database) else {
            throw StoreError(.unavailable, "database \(database) does not exist")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError(.invalidRequest, "snapshot \(destination) already exists; refusing to overwrite it")
        }
        try checkHeader(path: database)
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let source = try DatabaseQueue(path: database, configuration: readOnlyConfiguration())
            try source.read { db in try checkSkiffDatabase(db, path: database) }
            let target = try DatabaseQueue(path: partial)
            try source.backup(to: target)
            try target.close()
            try source.close()
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw StoreError(.unavailable, "snapshot of \(database) to \(destination) failed", cause: error)
        }
    }

    /// Replaces the database at `database` with the snapshot `source`. The server must be stopped (its lock is
    /// taken); the replaced database is kept beside it as `<name>.before-restore-<unix time>`.
    /// Returns the path of that kept copy, if there was a database to keep.
    @discardableResult
    public static func restoreSnapshot(from source: String, to database: String) throws(StoreError) -> String? {
        guard FileManager.default.fileExists(atPath: source) else {
            throw StoreError(.unavailable, "snapshot \(source) does not exist")
        }
        try checkHeader(path: source)
        let lock = try FileLock(path: database + ".lock")
        defer { lock.release() }
        let partial = database + ".restoring"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let snapshot = try DatabaseQueue(path: source, configuration: readOnlyConfiguration())
            try snapshot.read { db in
                try checkSkiffDatabase(db, path: source)
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard check == ["ok"] else {
                    throw StoreError(
                        .corrupt, "snapshot \(source) is damaged: \(check.prefix(3).joined(separator: "; "))")
                }
            }
            let target = try DatabaseQueue(path: partial)
            try snapshot.backup(to: target)
            try target.close()
            try snapshot.close()
            var kept: String?
            if FileManager.default.fileExists(atPath: database) {
                // Fold the WAL into the old file first so the kept copy is complete on its own.
                let old = try DatabaseQueue(path: database)
                try old.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                try old.close()
                let backup = "\(database).before-restore-\(Int(Date().timeIntervalSince1970))"
                try FileManager.default.moveItem(atPath: database, toPath: backup)
                kept = backup
            }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            try FileManager.default.moveItem(atPath: partial, toPath: database)
            return kept
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw StoreError(.unavailable, "restore of \(source) into \(database) failed", cause: error)
        }
    }

    private static func readOnlyConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        return configuration
    }

    private static func checkSkiffDatabase(_ db: Database, path: String) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        guard applicationID == Self.applicationID else {
            throw StoreError(.corrupt, "\(path) is not a skiff database")
        }
    }
}
