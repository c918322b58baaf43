import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// One reverse tunnel to every API server the agent knows (`ServerPool`: the configured ones and those learned from
/// the `kubernetes` Endpoints), so each server can reach the node's kubelet API. A server that joins the pool gets a
/// dialer within `pollInterval`; one that leaves it is no longer dialed once its tunnel ends.
public struct TunnelFleet: Service {
    let pool: ServerPool
    /// Every dialer's settings but the server.
    let template: TunnelDialer.Configuration
    let endpoint: any KubeletEndpoint
    let pollInterval: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(
        pool: ServerPool, template: TunnelDialer.Configuration, endpoint: any KubeletEndpoint,
        pollInterval: Duration = .seconds(1), clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.pool = pool
        self.template = template
        self.endpoint = endpoint
        self.pollInterval = pollInterval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await dial() }
    }

    /// Dials every server of the pool until cancelled.
    public func dial() async {
        let dialing = Dialing()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let servers = pool.all
                for server in servers {
                    guard dialing.servers.withLock({ $0.insert(server).inserted }) else { continue }
                    var configuration = template
                    configuration.server = server
                    let dialer = TunnelDialer(
                        configuration: configuration, endpoint: endpoint, clock: clock, logger: logger)
                    let pool = pool
                    group.addTask {
                        await dialer.dial(while: { pool.contains(server) })
                        dialing.servers.withLock { _ = $0.remove(server) }
                    }
                }
                do { try await clock.sleep(for: pollInterval) } catch { break }
            }
            group.cancelAll()
        }
    }
}

/// The servers a fleet has a dialer for.
private final class Dialing: Sendable {
    let servers = Mutex(Set<String>())
}
