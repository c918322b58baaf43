import ArgumentParser
import SkiffStore

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save or restore a consistent copy of the datastore.",
        subcommands: [Save.self, Restore.self])

    struct Location: ParsableArguments {
        @Option(name: [.customShort("d"), .long], help: "Server data folder (default /var/lib/skiff).")
        var dataDir: String?

        var database: String { "\(dataDir ?? Defaults.dataDir)/server/db/state.db" }
    }

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the datastore to FILE while the server keeps running.")

        @OptionGroup var location: Location
        @Argument(help: "Snapshot file to create (must not exist).") var file: String

        func run() throws {
            try SQLiteStore.saveSnapshot(database: location.database, to: file)
            print("snapshot of \(location.database) saved to \(file)")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the datastore with FILE (the server must be stopped; the old one is kept).")

        @OptionGroup var location: Location
        @Argument(help: "Snapshot file to restore.") var file: String

        func run() throws {
            let kept = try SQLiteStore.restoreSnapshot(from: file, to: location.database)
            print(
                "restored \(file) into \(location.database)" + (kept.map { "; previous database kept as \($0)" } ?? ""))
        }
    }
}
