import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// The one controller runtime: a controller brings its sources (informers) with handlers that turn events into keys,
/// and a reconcile for one key; the runtime brings everything else.
///
/// - Keys wait in the queue until every source holds its first list (nothing is skipped, nothing polls).
/// - One reconcile per key at a time; a key added meanwhile is reconciled once more afterwards.
/// - A reconcile that throws is retried after a per-key back-off (capped exponential with jitter), reset by success;
///   one that asks for `requeueAfter` is queued again when the controller's clock passes it.
/// - Status reports (`ControllerQueue.report`) are coalesced and written once after the key's reconcile.
/// - `resync` re-queues every key the controller names, periodically.
/// - At graceful shutdown the queue closes, sources and timers stop, and reconciles in flight finish (or, with
///   `cancelInFlightAtShutdown`, are cancelled: the kubelet's pod workers may be waiting out a 30 s stop).
public struct Controller: Service {
    /// What a reconcile asks of the runtime.
    public struct Result: Sendable, Equatable {
        /// Reconcile the key again once this has passed.
        public var requeueAfter: Duration?

        public init(requeueAfter: Duration? = nil) { self.requeueAfter = requeueAfter }

        public static let done = Result()
    }

    /// A source and what to do with its events.
    public struct Watch: Sendable {
        let source: any ControllerSource
        let handler: @Sendable (ClusterEvent, ControllerQueue) async -> Void

        public init(
            _ source: any ControllerSource, handler: @escaping @Sendable (ClusterEvent, ControllerQueue) async -> Void
        ) {
            self.source = source
            self.handler = handler
        }
    }

    public struct Configuration: Sendable {
        /// Names the controller in logs.
        public var name: String
        public var workers: Int
        public var retry: RetryPolicy
        /// How often every key named by `resyncKeys` is queued again (nil: never).
        public var resync: Duration?
        public var clock: ServiceClock
        /// A number in 0..<1 for the back-off's jitter.
        public var random: @Sendable () -> Double
        /// Cancel the reconciles in flight at graceful shutdown instead of letting them finish.
        public var cancelInFlightAtShutdown: Bool

        public init(
            name: String, workers: Int = 1, retry: RetryPolicy = RetryPolicy(), resync: Duration? = nil,
            clock: ServiceClock = .continuous, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
            cancelInFlightAtShutdown: Bool = false
        ) {
            self.cancelInFlightAtShutdown = cancelInFlightAtShutdown
            self.name = name
            self.workers = workers
            self.retry = retry
            self.resync = resync
            self.clock = clock
            self.random = random
        }
    }

    public typealias Reconcile = @Sendable (_ key: String, _ queue: ControllerQueue) async throws -> Result
    /// Writes a key's status (coalesced: at most once per reconcile).
    public typealias StatusWriter = @Sendable (_ key: String, _ status: JSON) async throws -> Void

    let configuration: Configuration
    let watches: [Watch]
    let companions: [@Sendable () async -> Void]
    let resyncKeys: (@Sendable () -> [String])?
    let writeStatus: StatusWriter?
    let reconcile: Reconcile
    let logger: Logger
    /// The queue handlers and reconciles add keys to.
    public let queue: ControllerQueue

    /// - Parameters:
    ///   - companions: tasks that live as long as the controller (an event recorder's drain).
    ///   - resyncKeys: the keys to queue every `configuration.resync`.
    public init(
        _ configuration: Configuration, watches: [Watch], companions: [@Sendable () async -> Void] = [],
        resyncKeys: (@Sendable () -> [String])? = nil, writeStatus: StatusWriter? = nil, logger: Logger,
        reconcile: @escaping Reconcile
    ) {
        self.configuration = configuration
        self.watches = watches
        self.companions = companions
        self.resyncKeys = resyncKeys
        self.writeStatus = writeStatus
        self.reconcile = reconcile
        self.logger = logger
        self.queue = ControllerQueue(
            clock: configuration.clock, retry: configuration.retry, random: configuration.random)
    }

    public func run() async throws {
        let queue = queue
        let synced = Latch()
        try await withThrowingDiscardingTaskGroup { group in
            // Workers run until the queue closes, so a reconcile in flight at shutdown finishes.
            for _ in 0..<configuration.workers {
                group.addTask { await work(queue, after: synced) }
            }
            await withDiscardingTaskGroup { background in
                background.addTask {
                    for watch in watches { await watch.source.waitUntilSynced() }
                    synced.open()
                }
                for watch in watches {
                    background.addTask { await watch.source.run { event in await watch.handler(event, queue) } }
                }
                for companion in companions { background.addTask { await companion() } }
                background.addTask { await queue.delayed.run { queue.work.add($0) } }
                if let interval = configuration.resync, let resyncKeys {
                    background.addTask {
                        await configuration.clock.repeating(every: interval) {
                            for key in resyncKeys() { queue.add(key) }
                        }
                    }
                }
                try? await gracefulShutdown()
                queue.work.close()
                synced.open()  // workers still waiting for the sources find the queue closed
                background.cancelAll()
            }
            if configuration.cancelInFlightAtShutdown { group.cancelAll() }
        }
    }

    private func work(_ queue: ControllerQueue, after synced: Latch) async {
        await synced.wait()
        while let key = await queue.work.next() {
            await process(key, queue)
            queue.work.done(key)
        }
    }

    private func process(_ key: String, _ queue: ControllerQueue) async {
        do {
            let result = try await reconcile(key, queue)
            queue.succeeded(key)
            if let after = result.requeueAfter { queue.add(key, after: after) }
        } catch {
            if Task.isCancelled {
                logger.debug(
                    "reconcile cancelled at shutdown",
                    metadata: ["controller": "\(configuration.name)", "key": "\(key)"])
                return
            }
            let delay = queue.failed(key)
            logger.log(
                level: (error as? APIError)?.code == 409 ? .debug : .warning, "reconcile failed, retrying",
                metadata: [
                    "controller": "\(configuration.name)", "key": "\(key)", "retry.in": "\(delay)",
                    "error": "\(error)",
                ])
        }
        guard let writeStatus, let status = queue.statuses.take(key) else { return }
        do {
            try await writeStatus(key, status)
            queue.statuses.written(key, status)
        } catch {
            queue.statuses.failed(key, status)
            let delay = queue.failed(key)
            logger.warning(
                "status write failed, retrying",
                metadata: [
                    "controller": "\(configuration.name)", "key": "\(key)", "retry.in": "\(delay)",
                    "error": "\(error)",
                ])
        }
    }
}
