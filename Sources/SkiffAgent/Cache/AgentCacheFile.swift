import Foundation
import GRDB

/// Why the cache file cannot be used as it is.
public struct AgentCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The file is not a readable cache (not SQLite, or its integrity check failed).
        case corrupt
        /// The file belongs to another cluster: it was written under another server CA.
        case otherCluster
        case io
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The agent's cache on disk: one SQLite file (`<data-dir>/agent/cache/cache.db`, mode 0600: it holds Secrets) with
/// one row per object and the fingerprint of the cluster CA it belongs to. Every flush is one transaction.
struct AgentCacheFile {
    let queue: DatabaseQueue
    let path: String

    static let schemaVersion = "1"

    /// Opens (creating) the file for the cluster whose CA has `fingerprint`. A file that fails SQLite's quick check
    /// is `corrupt`; one written for another CA is `otherCluster`.
    static func open(path: String, fingerprint: String) throws(AgentCacheError) -> AgentCacheFile {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if !FileManager.default.fileExists(atPath: path) {
                guard
                    FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw AgentCacheError(.io, "cannot create the agent cache \(path)") }
            }
        } catch let error as AgentCacheError {
            throw error
        } catch {
            throw AgentCacheError(.io, "cannot create the agent cache \(path): \(error)")
        }
        let queue: DatabaseQueue
        do {
            var configuration = Configuration()
            configuration.label = "agent-cache"
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let check = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            guard check == ["ok"] else {
                throw AgentCacheError(
                    .corrupt, "the agent cache \(path) failed its integrity check: \(check.prefix(3))")
            }
        } catch let error as AgentCacheError {
            throw error
        } catch {
            throw AgentCacheError(.corrupt, "the agent cache \(path) cannot be read: \(error)")
        }
        do {
            let stored: String? = try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                        CREATE TABLE IF NOT EXISTS objects (
                          kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, object BLOB NOT NULL,
                          PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
                        """)
                let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'cluster-ca'")
                if stored == nil {
                    try db.execute(
                        sql: "INSERT INTO meta (key, value) VALUES ('cluster-ca', ?), ('schema', ?)",
                        arguments: [fingerprint, schemaVersion])
                }
                return stored
            }
            if let stored, stored != fingerprint {
                throw AgentCacheError(
                    .otherCluster,
                    "the agent cache \(path) belongs to another cluster (CA \(stored.prefix(12))…, this one "
                        + "\(fingerprint.prefix(12))…)")
            }
        } catch let error as AgentCacheError {
            throw error
        } catch {
            throw AgentCacheError(.corrupt, "the agent cache \(path) cannot be read: \(error)")
        }
        return AgentCacheFile(queue: queue, path: path)
    }

    /// Every object, by key.
    func load() throws(AgentCacheError) -> [CacheKey: [UInt8]] {
        do {
            return try queue.read { db in
                var objects: [CacheKey: [UInt8]] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT kind, namespace, name, object FROM objects")
                while let row = try rows.next() {
                    let data: Data = row["object"]
                    objects[CacheKey(kind: row["kind"], namespace: row["namespace"], name: row["name"])] = Array(data)
                }
                return objects
            }
        } catch {
            throw AgentCacheError(.corrupt, "the agent cache \(path) cannot be read: \(error)")
        }
    }

    /// Applies a batch in one transaction.
    func apply(_ writes: [(CacheKey, CacheWriteBuffer.Write)]) throws(AgentCacheError) {
        guard !writes.isEmpty else { return }
        do {
            try queue.write { db in
                for (key, write) in writes {
                    switch write {
                    case .put(let bytes):
                        try db.execute(
                            sql: "INSERT OR REPLACE INTO objects (kind, namespace, name, object) VALUES (?, ?, ?, ?)",
                            arguments: [key.kind, key.namespace, key.name, Data(bytes)])
                    case .delete:
                        try db.execute(
                            sql: "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
                            arguments: [key.kind, key.namespace, key.name])
                    }
                }
            }
        } catch {
            throw AgentCacheError(.io, "writing the agent cache \(path) failed: \(error)")
        }
    }

    func close() { try? queue.close() }
}
