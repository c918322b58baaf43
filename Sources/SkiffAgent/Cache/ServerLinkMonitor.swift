import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Owns the agent's `ServerLink`: takes in what requests saw (`report`), probes the server with one small request
/// (every `probeInterval` while online — a link that died silently is noticed even when nothing else is sent — and
/// every `offlineProbeInterval` while offline), and carries out the link's actions: the log lines an operator reads
/// ("running from the local cache since …") and `onChange` (the agent's Node events).
///
/// Callers wait on it: `waitUntilDecided()` (at start, the first probe is given `startupGrace` before the agent
/// presumes the server away and starts from its cache), `waitForChange(after:)` (a watch ends when the link changes).
public final class ServerLinkMonitor: Service, Sendable {
    public struct Configuration: Sendable {
        public var probeInterval: Duration
        public var offlineProbeInterval: Duration
        /// How long one probe may take before the server counts as unreachable.
        public var probeTimeout: Duration
        /// How long the first probe may take: the agent starts from its cache if the server has not answered by then.
        public var startupGrace: Duration
        /// How often a link that stays down is logged again.
        public var reminderInterval: Duration
        public var clock: ServiceClock

        public init(
            probeInterval: Duration = .seconds(5), offlineProbeInterval: Duration = .seconds(2),
            probeTimeout: Duration = .seconds(3), startupGrace: Duration = .seconds(1),
            reminderInterval: Duration = .seconds(300), clock: ServiceClock = .continuous
        ) {
            self.probeInterval = probeInterval
            self.offlineProbeInterval = offlineProbeInterval
            self.probeTimeout = probeTimeout
            self.startupGrace = startupGrace
            self.reminderInterval = reminderInterval
            self.clock = clock
        }
    }

    public let server: String
    let configuration: Configuration
    let probe: @Sendable () async throws(APIError) -> Void
    let logger: Logger
    let now: @Sendable () -> Date
    private let state = Mutex(State())
    private let actions: AsyncStream<ServerLink.Action>
    private let actionsIn: AsyncStream<ServerLink.Action>.Continuation
    private let handlers = Mutex<[@Sendable (ServerLink.Action) async -> Void]>([])

    private struct State {
        var link = ServerLink()
        var nextID = 0
        var waiters:
            [Int: (condition: @Sendable (ServerLink) -> Bool, continuation: CheckedContinuation<Void, Never>)] =
                [:]
    }

    /// - Parameter probe: one small request to the server; any answer, even an error status, proves the link.
    public init(
        server: String, configuration: Configuration = Configuration(), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, probe: @escaping @Sendable () async throws(APIError) -> Void
    ) {
        self.server = server
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.probe = probe
        (actions, actionsIn) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public var link: ServerLink { state.withLock { $0.link } }
    public var isOffline: Bool { link.isOffline }

    /// Runs `handler` (in the monitor's task, in order) for every change of the link.
    public func onChange(_ handler: @escaping @Sendable (ServerLink.Action) async -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    // MARK: What requests saw

    /// A request got an answer from the server.
    public func answered() {
        // Online already: only the time of the answer changes; no need to look at the waiters.
        let settled = state.withLock { state -> Bool in
            guard case .online = state.link.state else { return false }
            _ = state.link.handle(.answered(at: now()))
            return true
        }
        if !settled { handle(.answered(at: now())) }
    }

    /// A request failed; an unreachable server takes the link offline.
    public func report(_ error: APIError) {
        guard ServerLink.isUnreachable(error) else {
            answered()
            return
        }
        handle(.unreachable(at: now(), reason: error.message))
    }

    private func handle(_ event: ServerLink.Event) {
        let (action, ready) = state.withLock { state -> (ServerLink.Action?, [CheckedContinuation<Void, Never>]) in
            guard let action = state.link.handle(event) else { return (nil, []) }
            let link = state.link
            let ready = state.waiters.filter { $0.value.condition(link) }
            for id in ready.keys { state.waiters[id] = nil }
            return (action, ready.values.map(\.continuation))
        }
        for continuation in ready { continuation.resume() }
        if let action { actionsIn.yield(action) }
    }

    /// The error a request gets while the link is down, without trying the server.
    public var offlineError: APIError {
        let since: String
        if case .offline(let at, _) = link.state { since = " since \(KubeTimestamp.string(at))" } else { since = "" }
        return APIError(
            code: 503, reason: "ServiceUnavailable",
            message: "the agent cannot reach the server \(server)\(since); it runs from its local cache")
    }

    // MARK: Waiting

    /// Returns once the link is online or offline (not starting), or when the task is cancelled.
    public func waitUntilDecided() async { await wait { !$0.isStarting } }

    /// Returns once the link changed state after `generation`, or when the task is cancelled.
    public func waitForChange(after generation: Int) async { await wait { $0.generation > generation } }

    /// Returns once the link is online, or when the task is cancelled.
    public func waitUntilOnline() async {
        await wait {
            if case .online = $0.state { return true }
            return false
        }
    }

    func wait(until condition: @escaping @Sendable (ServerLink) -> Bool) async {
        // Every request of the agent waits for a decided link: once it is, no continuation is made.
        if state.withLock({ condition($0.link) }) { return }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if condition(state.link) || Task.isCancelled { return true }
                    state.waiters[id] = (condition, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    // MARK: Running

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.carryOutActions() }
            group.addTask { await self.probeUntilShutdown() }
            group.addTask { await self.remindWhileOffline() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func probeUntilShutdown() async {
        let clock = configuration.clock
        while !Task.isCancelled {
            let current = link
            let timeout = current.isStarting ? configuration.startupGrace : configuration.probeTimeout
            if let failure = await probeOnce(timeout: timeout) {
                report(failure)
            } else {
                answered()
            }
            let interval = link.isOffline ? configuration.offlineProbeInterval : configuration.probeInterval
            // Sleep until the interval has passed, or the link went offline meanwhile (probe sooner to come back).
            let generation = link.generation
            let woke = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do { try await clock.sleep(for: interval) } catch { return false }
                    return true
                }
                group.addTask {
                    await self.waitForChange(after: generation)
                    return !Task.isCancelled
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !woke { return }
            if link.generation != generation, link.isOffline {
                // Went offline through a request: give the server the offline interval before the next try.
                do { try await clock.sleep(for: configuration.offlineProbeInterval) } catch { return }
            }
        }
    }

    /// nil when the server answered within `timeout`, else why not.
    private func probeOnce(timeout: Duration) async -> APIError? {
        let probe = probe
        let clock = configuration.clock
        let server = server
        return await withTaskGroup(of: APIError?.self) { group in
            group.addTask {
                do throws(APIError) {
                    try await probe()
                    return nil
                } catch {
                    return ServerLink.isUnreachable(error) ? error : nil
                }
            }
            group.addTask {
                do { try await clock.sleep(for: timeout) } catch { return nil }
                return APIError.timeout("no answer from \(server) within \(timeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func carryOutActions() async {
        for await action in actions {
            log(action)
            for handler in handlers.withLock({ $0 }) { await handler(action) }
        }
    }

    private func log(_ action: ServerLink.Action) {
        switch action {
        case .connected:
            logger.info("server reachable", metadata: ["server": "\(server)"])
        case .wentOffline(let since, let lastHeard, let reason):
            logger.warning(
                "server unreachable: running from the local cache since \(KubeTimestamp.string(since))",
                metadata: [
                    "server": "\(server)",
                    "last.heard": "\(lastHeard.map(KubeTimestamp.string) ?? "never since start")",
                    "reason": "\(reason)",
                ])
        case .cameBack(let since, _, let at):
            logger.info(
                "server reachable again after \(Self.describe(at.timeIntervalSince(since))) offline: reconciling with it",
                metadata: ["server": "\(server)", "offline.since": "\(KubeTimestamp.string(since))"])
        }
    }

    /// Every `reminderInterval` offline, the log says again that the agent still runs from its cache.
    private func remindWhileOffline() async {
        await configuration.clock.repeating(every: configuration.reminderInterval) {
            guard case .offline(let since, _) = link.state else { return }
            let offlineFor = Self.describe(now().timeIntervalSince(since))
            logger.warning(
                "still running from the local cache since \(KubeTimestamp.string(since)) (\(offlineFor))",
                metadata: ["server": "\(server)"])
        }
    }

    /// `45s`, `3m12s`, `2h5m`.
    public static func describe(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds.rounded()))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\(total % 3600 / 60)m"
    }
}
