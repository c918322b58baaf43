import Foundation
import SkiffStore

/// The snapshots folder (`<data-dir>/server/db/snapshots`): names, listing and retention as k3s' etcd snapshots
/// have them. Scheduled snapshots are `skiff-snapshot-<node>-<unix time>`, on-demand ones `on-demand-<node>-<unix
/// time>`; retention prunes only the scheduled ones of this node, oldest first.
struct SnapshotFolder: Sendable {
    let directory: String

    static let scheduledPrefix = "skiff-snapshot"
    static let onDemandPrefix = "on-demand"

    struct Entry: Sendable, Equatable {
        var name: String
        var size: Int
        var created: Date
    }

    static func name(prefix: String, node: String, at date: Date) -> String {
        "\(prefix)-\(node)-\(Int(date.timeIntervalSince1970))"
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// The snapshots present, newest first (by the time in their name, else the file's).
    func list() throws -> [Entry] {
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory) else { return [] }
        var entries: [Entry] = []
        for name in try manager.contentsOfDirectory(atPath: directory)
        where !name.hasPrefix(".") && !name.hasSuffix(".partial") {
            let attributes = try manager.attributesOfItem(atPath: path(name))
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let modified = attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
            entries.append(
                Entry(
                    name: name, size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                    created: Self.timestamp(in: name) ?? modified))
        }
        return entries.sorted { ($0.created, $0.name) > ($1.created, $1.name) }
    }

    /// The unix time at the end of a snapshot's name, if it has one.
    static func timestamp(in name: String) -> Date? {
        guard let last = name.split(separator: "-").last, let seconds = Int(last), seconds > 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The snapshots beyond the newest `retention` with `prefix` (the ones to delete); pure.
    static func expired(_ entries: [Entry], prefix: String, retention: Int) -> [Entry] {
        let matching = entries.filter { $0.name.hasPrefix(prefix + "-") }.sorted {
            ($0.created, $0.name) > ($1.created, $1.name)
        }
        return Array(matching.dropFirst(max(retention, 0)))
    }

    /// Copies the running server's database into the folder.
    func save(database: String, name: String) throws -> String {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let destination = path(name)
        try SQLiteStore.saveSnapshot(database: database, to: destination)
        return destination
    }

    /// Deletes the expired snapshots with `prefix`; returns their names.
    func prune(prefix: String, retention: Int) throws -> [String] {
        let expired = Self.expired(try list(), prefix: prefix, retention: retention)
        for entry in expired { try FileManager.default.removeItem(atPath: path(entry.name)) }
        return expired.map(\.name)
    }
}
