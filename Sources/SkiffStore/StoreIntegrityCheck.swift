import Logging
import ServiceLifecycle

/// Reads the whole database once after start (`SQLiteStore.checkIntegrity`) and reports damage at error level,
/// naming the file. Opening the store checks only its header and schema, so start-up does not grow with the data;
/// this finds what a disk fault may have done deeper in the file while the server already serves.
public struct StoreIntegrityCheck: Service {
    let store: SQLiteStore
    let logger: Logger

    public init(store: SQLiteStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let problems = try await cancelWhenGracefulShutdown { try await store.checkIntegrity() }
            if problems.isEmpty {
                logger.debug(
                    "store integrity checked", metadata: ["path": "\(store.path)", "took": "\(clock.now - start)"])
            } else {
                logger.error(
                    "database is damaged; restore it from a snapshot (skiff snapshot restore)",
                    metadata: ["path": "\(store.path)", "problems": "\(problems.joined(separator: "; "))"])
            }
        } catch {
            if !Task.isCancelledOrShuttingDown {
                logger.warning(
                    "store integrity check failed", metadata: ["path": "\(store.path)", "error": "\(error)"])
            }
        }
        // Done; stay until shutdown so the service group carries on.
        try? await gracefulShutdown()
    }
}
