import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Learns the cluster's API servers from the `kubernetes` Endpoints in `default` (every server publishes its address
/// there while it lives) and hands them to the agent's `ServerPool`: its requests fail over to them, and its tunnels
/// reach each of them, so logs and exec work through whichever server a client uses. A node is allowed only `get` on
/// endpoints, so the object is read every `interval` rather than watched; a failed read keeps what was learned.
public struct ServerDiscovery: Service {
    let api: any ClusterAPI
    let pool: ServerPool
    /// This machine's own server, when the agent is a server's embedded one: it needs no tunnel to itself.
    let excluding: String?
    let interval: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(
        api: any ClusterAPI, pool: ServerPool, excluding: String? = nil, interval: Duration = .seconds(10),
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.api = api
        self.pool = pool
        self.excluding = excluding.map(ServerRotation.normalize)
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Learns into the API client's own pool.
    public init(
        api: HTTPClusterAPI, interval: Duration = .seconds(10), clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.init(api: api, pool: api.servers, interval: interval, clock: clock, logger: logger)
    }

    public func run() async throws {
        let endpoints = api.type("", "v1", "endpoints")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do throws(APIError) {
                    let object = try await api.get(endpoints, namespace: "default", name: "kubernetes")
                    let servers = Self.servers(endpoints: object).filter { $0 != excluding }
                    if !servers.isEmpty || excluding != nil, pool.learn(servers) {
                        logger.info("API servers", metadata: ["servers": "\(pool.all)", "current": "\(pool.current)"])
                    }
                } catch {
                    logger.debug("cannot read the kubernetes endpoints", metadata: ["error": "\(error.message)"])
                }
                do { try await clock.sleep(for: interval) } catch { return }
            }
        }
    }

    /// `https://ip:port` for every address of every subset, on the port named `https` (else the subset's first).
    static func servers(endpoints: JSON) -> [String] {
        var addresses: [String: [Int]] = [:]
        for subset in endpoints["subsets"].arrayValue ?? [] {
            let ports = subset["ports"].arrayValue ?? []
            let https = ports.first { $0["name"].stringValue == "https" } ?? ports.first
            guard let port = https?["port"].intValue else { continue }
            for address in subset["addresses"].arrayValue ?? [] {
                if let ip = address["ip"].stringValue { addresses[ip, default: []].append(port) }
            }
        }
        return ServerRotation.servers(endpoints: addresses)
    }
}
