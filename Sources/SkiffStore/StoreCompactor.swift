import Logging
import ServiceLifecycle
import SkiffModel

/// Periodically drops history older than the newest `retainedRevisions` revisions (k3s/kine defaults: every
/// 5 minutes, keep 1000), so the log stays small while watchers can still resume after short disconnects.
public struct StoreCompactor: Service {
    let store: any KeyValueStore
    let interval: Duration
    let retainedRevisions: Revision
    let clock: ServiceClock
    let logger: Logger

    public init(
        store: any KeyValueStore, interval: Duration = .seconds(300), retainedRevisions: Revision = 1000,
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.clock = clock
        self.retainedRevisions = retainedRevisions
        self.logger = logger
    }

    public func run() async throws {
        // Graceful shutdown cancels the timer, so the compactor never holds up a stop.
        try? await cancelWhenGracefulShutdown {
            await clock.repeating(every: interval) { await compactOnce() }
        }
    }

    /// One compaction pass; failures are logged and retried at the next interval.
    public func compactOnce() async {
        do {
            let target = try await store.currentRevision() - retainedRevisions
            guard target > 0 else { return }
            let removed = try await store.compact(upTo: target)
            logger.debug("compacted store", metadata: ["revision": "\(target)", "rows": "\(removed)"])
        } catch {
            logger.warning("store compaction failed", metadata: ["error": "\(error)"])
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
