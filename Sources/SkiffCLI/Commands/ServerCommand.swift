import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffStore

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the control plane (API server on SQLite) and, by default, an agent.")

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "Server") var server: ServerOptions
    @OptionGroup(title: "Embedded agent") var agent: AgentOptions

    func run() async throws {
        let config: ServerConfig
        do {
            config = try ServerConfig(
                common: common, server: server, agent: agent, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        let logger = Logging.bootstrap(debug: config.debug)
        try DataDirectory.prepareServer(config)
        let store = try SQLiteStore(path: config.databasePath, logger: logger)
        defer { store.close() }
        let revision = try await store.currentRevision()
        logger.info(
            "skiff server starting",
            metadata: [
                "version": "\(SkiffVersion.skiff)", "data-dir": "\(config.dataDir)",
                "revision": "\(revision)",
            ])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: StoreCompactor(store: store, logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The data-dir layout k3s users know: `server/{db,tls,manifests,cred}`, `agent/{images,...}`.
enum DataDirectory {
    static func prepareServer(_ config: ServerConfig) throws {
        for folder in ["server/db", "server/tls", "server/manifests", "server/cred", "agent/images"] {
            try FileManager.default.createDirectory(
                atPath: "\(config.dataDir)/\(folder)", withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
    }
}

enum Logging {
    /// Sets up logging to stderr once per process and returns the root logger.
    static func bootstrap(debug: Bool) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = debug ? .debug : .info
            return handler
        }
        return Logger(label: "skiff")
    }
}
