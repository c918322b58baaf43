import ArgumentParser
import Foundation
import SkiffStore

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save, list, prune or restore consistent copies of the datastore.",
        subcommands: [Save.self, List.self, Delete.self, Prune.self, Restore.self])

    struct Location: ParsableArguments {
        @Option(name: [.customShort("d"), .long], help: "Server data folder (default /var/lib/skiff).")
        var dataDir: String?

        @Option(help: "Folder of the snapshots (default <data-dir>/server/db/snapshots).")
        var snapshotDir: String?

        var database: String { "\(dataDir ?? Defaults.dataDir)/server/db/state.db" }
        var folder: SnapshotFolder {
            SnapshotFolder(directory: snapshotDir ?? SnapshotSettings.directory(dataDir: dataDir ?? Defaults.dataDir))
        }
    }

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the datastore while the server keeps running: to FILE, or into the snapshots folder.")

        @OptionGroup var location: Location
        @Option(help: "Node name in the snapshot's name (default: this host's name).") var nodeName: String?
        @Argument(help: "Snapshot file to create (must not exist); default on-demand-<node>-<time> in the folder.")
        var file: String?

        func run() throws {
            do {
                let path: String
                if let file {
                    try SQLiteStore.saveSnapshot(database: location.database, to: file)
                    path = file
                } else {
                    let name = SnapshotFolder.name(
                        prefix: SnapshotFolder.onDemandPrefix, node: nodeName ?? Defaults.nodeName, at: Date())
                    path = try location.folder.save(database: location.database, name: name)
                }
                print("snapshot of \(location.database) saved to \(path)")
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the snapshots in the snapshots folder, newest first.",
            aliases: ["list"])

        @OptionGroup var location: Location
        @Flag(name: .shortAndLong, help: "Print only the names.") var quiet = false

        func run() throws {
            let folder = location.folder
            let entries: [SnapshotFolder.Entry]
            do { entries = try folder.list() } catch { throw ValidationError("\(folder.directory): \(error)") }
            if quiet {
                for entry in entries { print(entry.name) }
                return
            }
            let formatter = ISO8601DateFormatter()
            var rows = [["Name", "Location", "Size", "Created"]]
            for entry in entries {
                rows.append([
                    entry.name, "file://\(folder.path(entry.name))", "\(entry.size)",
                    formatter.string(from: entry.created),
                ])
            }
            for line in Self.columns(rows) { print(line) }
        }

        /// Left-aligned columns three spaces apart, as k3s' `etcd-snapshot ls` prints them.
        static func columns(_ rows: [[String]]) -> [String] {
            let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { column, cell in
                    column == row.count - 1
                        ? cell : cell.padding(toLength: widths[column] + 3, withPad: " ", startingAt: 0)
                }.joined()
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete snapshots from the snapshots folder by name.")

        @OptionGroup var location: Location
        @Argument(help: "Snapshot names (as `skiff snapshot ls` prints them).") var names: [String]

        func validate() throws {
            guard !names.isEmpty else { throw ValidationError("name at least one snapshot to delete") }
            for name in names where name.contains("/") || name.hasPrefix(".") {
                throw ValidationError("\"\(name)\" is not a snapshot name (see skiff snapshot ls)")
            }
        }

        func run() throws {
            let folder = location.folder
            for name in names {
                guard FileManager.default.fileExists(atPath: folder.path(name)) else {
                    throw ValidationError("no snapshot \(name) in \(folder.directory)")
                }
                do { try FileManager.default.removeItem(atPath: folder.path(name)) } catch {
                    throw ValidationError("cannot delete \(folder.path(name)): \(error)")
                }
                print("deleted \(name)")
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete this node's scheduled snapshots beyond the newest N (on-demand ones are kept).")

        @OptionGroup var location: Location
        @Option(help: "How many scheduled snapshots to keep (default 5).") var snapshotRetention: Int = 5
        @Option(help: "Node name in the snapshots' names (default: this host's name).") var nodeName: String?

        func validate() throws {
            guard snapshotRetention >= 1 else {
                throw ValidationError("--snapshot-retention must be at least 1, not \(snapshotRetention)")
            }
        }

        func run() throws {
            let prefix = "\(SnapshotFolder.scheduledPrefix)-\(nodeName ?? Defaults.nodeName)"
            let pruned: [String]
            do { pruned = try location.folder.prune(prefix: prefix, retention: snapshotRetention) } catch {
                throw ValidationError("\(location.folder.directory): \(error)")
            }
            for name in pruned { print("deleted \(name)") }
            print("kept the newest \(snapshotRetention) snapshot(s) named \(prefix)-*; deleted \(pruned.count)")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the datastore with FILE (the server must be stopped; the old one is kept).")

        @OptionGroup var location: Location
        @Argument(help: "Snapshot file to restore (a path, or a name in the snapshots folder).") var file: String

        func run() throws {
            let source =
                !file.contains("/") && FileManager.default.fileExists(atPath: location.folder.path(file))
                ? location.folder.path(file) : file
            let kept = try SQLiteStore.restoreSnapshot(from: source, to: location.database)
            print(
                "restored \(source) into \(location.database)"
                    + (kept.map { "; previous database kept as \($0)" } ?? ""))
        }
    }
}
