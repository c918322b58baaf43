import ArgumentParser
import Foundation
import SkiffPostgresStore
import SkiffStore

/// `skiff datastore`: operations on the datastore as a whole.
struct DatastoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastore", abstract: "Operate on the datastore as a whole.", subcommands: [Migrate.self])

    /// `skiff datastore migrate`: a single server's SQLite log, history included, into an empty PostgreSQL database.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a stopped server's SQLite datastore, history included, into an empty PostgreSQL database.",
            discussion: """
                Every object keeps its resourceVersion: the log is copied row by row with its revisions, and the \
                revision counter and compaction floor follow. Stop the server first (its lock is taken, so it cannot \
                start during the copy). The target must hold no skiff data; the copy is one transaction, so a failure \
                leaves it empty. Then start the server with --datastore-endpoint and the same --data-dir.
                """)

        @Option(name: [.customShort("d"), .long], help: "Server data folder (default /var/lib/skiff).")
        var dataDir: String?

        @Option(help: "The SQLite datastore: sqlite:PATH (default sqlite:<data-dir>/server/db/state.db).")
        var from: String?

        @Option(help: "The PostgreSQL datastore: postgres://user:password@host:port/database?sslmode=…")
        var to: String

        @Option(help: "CA bundle that verifies the PostgreSQL server's certificate.") var datastoreCafile: String?
        @Option(help: "Client certificate for PostgreSQL.") var datastoreCertfile: String?
        @Option(help: "Client certificate's key for PostgreSQL.") var datastoreKeyfile: String?
        @Flag(help: "Log debug messages.") var debug = false

        func run() async throws {
            do {
                let path = try Self.sourcePath(from, dataDir: dataDir ?? Defaults.dataDir)
                guard
                    case .postgres(let endpoint) = try ServerConfig.datastore(
                        to, caFile: datastoreCafile, certFile: datastoreCertfile, keyFile: datastoreKeyfile)
                else {
                    throw ConfigError("--to must be a postgres:// endpoint, not \"\(PostgresEndpoint.redacted(to))\"")
                }
                let logger = LogSetup.bootstrap(debug: debug)
                // Refusals about the source (missing, not skiff's, in use) come before anything touches the target.
                let source = try SQLiteLogReader(path: path)
                defer { source.close() }
                let summary = try await PostgresStore.importLog(endpoint: endpoint, from: source, logger: logger)
                print(
                    "migrated \(path) to \(endpoint.displayName): \(summary.rows) log rows, \(source.liveKeys) keys, "
                        + "revision \(summary.currentRevision)"
                        + (summary.compactedRevision > 0 ? ", compacted at \(summary.compactedRevision)" : ""))
            } catch let error as StoreError {
                throw Self.failure(error.message)
            } catch let error as ConfigError {
                throw Self.failure("\(error)")
            }
        }

        /// The SQLite file `--from` names: `sqlite:PATH` or `sqlite://PATH`, a bare path, or the data dir's database.
        static func sourcePath(_ from: String?, dataDir: String) throws(ConfigError) -> String {
            guard let from, !from.isEmpty else { return "\(dataDir)/server/db/state.db" }
            var path = Substring(from)
            if path.hasPrefix("sqlite://") {
                path = path.dropFirst("sqlite://".count)
            } else if path.hasPrefix("sqlite:") {
                path = path.dropFirst("sqlite:".count)
            } else if path.contains("://") {
                throw ConfigError("--from must be sqlite:PATH, not \"\(PostgresEndpoint.redacted(from))\"")
            }
            guard !path.isEmpty else { throw ConfigError("--from sqlite: needs a path") }
            return String(path)
        }

        /// Prints one line on standard error; the returned exit status 1 ends the command.
        static func failure(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("skiff datastore migrate: \(message)\n".utf8))
            return ExitCode(1)
        }
    }
}
