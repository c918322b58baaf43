import Foundation
import GRDB

/// An SQLite store's log read back in revision order, for copying to another store (`skiff datastore migrate`).
///
/// The server must be stopped: the reader takes the database's lock (a running server holds it, and one started
/// meanwhile fails to open the database), so the log cannot change while it is copied. It reads through a read-only
/// connection and writes nothing.
public final class SQLiteLogReader: StoreLogSource {
    public let path: String
    public let currentRevision: Revision
    public let compactedRevision: Revision
    /// Rows in the log (creates, updates and tombstones compaction kept).
    public let rowCount: Int
    /// Keys whose newest row is not a tombstone.
    public let liveKeys: Int
    private let queue: DatabaseQueue
    private let lock: FileLock

    /// Opens the skiff database at `path` read-only. Fails with `.unavailable` if it does not exist or a server
    /// holds it, and with `.corrupt` if it is not a skiff database.
    public init(path: String) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.unavailable, "database \(path) does not exist")
        }
        try SQLiteStore.checkHeader(path: path)
        lock = try FileLock(path: path + ".lock")
        self.path = path
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            do {
                (currentRevision, compactedRevision, rowCount, liveKeys) = try queue.read { db in
                    let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    guard applicationID == SQLiteStore.applicationID else {
                        throw StoreError(.corrupt, "\(path) is not a skiff database")
                    }
                    let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                    guard version == SQLiteStore.schemaVersion, try db.tableExists("kv"), try db.tableExists("meta")
                    else {
                        throw StoreError(
                            .corrupt, "\(path) has skiff schema version \(version) or lacks its log tables")
                    }
                    var current = try SQLiteStore.currentRevision(db)
                    // A database an older skiff wrote, not opened since, still counts in sqlite_sequence.
                    if try db.tableExists("sqlite_sequence") {
                        current = max(
                            current,
                            try Revision.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'kv'") ?? 0)
                    }
                    let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM kv") ?? 0
                    let live =
                        try Int.fetchOne(
                            db,
                            sql: """
                                SELECT count(*) FROM kv AS k
                                WHERE k.id = (SELECT max(id) FROM kv WHERE key = k.key) AND k.deleted = 0
                                """) ?? 0
                    return (current, try SQLiteStore.compactedRevision(db), rows, live)
                }
            } catch {
                try? queue.close()
                throw error
            }
            self.queue = queue
        } catch let error as StoreError {
            lock.release()
            throw error
        } catch {
            lock.release()
            throw StoreError(.corrupt, "cannot read \(path) as a skiff database", cause: error)
        }
    }

    public func rows(after revision: Revision, limit: Int, maxBytes: Int) async throws(StoreError) -> [LogRow] {
        do {
            return try await queue.read { db in
                let cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT id, key, create_revision, prev_revision, deleted, value FROM kv
                        WHERE id > ? ORDER BY id LIMIT ?
                        """, arguments: [revision, max(1, limit)])
                var rows: [LogRow] = []
                var bytes = 0
                while rows.isEmpty || bytes < maxBytes, let row = try cursor.next() {
                    let value = try SQLiteStore.bytes(row, 5)
                    bytes += value.count
                    rows.append(
                        LogRow(
                            revision: row[0], key: row[1], createRevision: row[2], prevRevision: row[3],
                            deleted: row[4], value: value))
                }
                return rows
            }
        } catch {
            throw StoreError(.unavailable, "read of \(path)'s log failed", cause: error)
        }
    }

    /// Closes the database and releases its lock.
    public func close() {
        try? queue.close()
        lock.release()
    }

    deinit { close() }
}
