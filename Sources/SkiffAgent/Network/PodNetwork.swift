import Foundation
import Logging
import ServiceLifecycle
import SkiffCRI
import SkiffClient
import SkiffModel
import Synchronization

/// Sets up the node's pod network: waits for the node's `spec.podCIDR`, writes the CNI conflist the runtime loads,
/// tells the runtime the CIDR (CRI `UpdateRuntimeConfig`), masquerades traffic leaving the cluster CIDR, and keeps
/// routes to the other nodes' pod CIDRs in step with the Node objects.
public final class PodNetwork: Service, Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        public var clusterCIDR: String
        /// Where the runtime loads CNI configuration from (containerd's `conf_dir`).
        public var confDirectory: String
        /// host-local's allocations.
        public var ipamDirectory: String
        public var bridge: String
        /// How often the peer routes are put back: the kernel drops a device's routes when the device goes down, and
        /// nothing else would restore them after a link flap.
        public var routeCheckInterval: Duration

        public init(
            nodeName: String, clusterCIDR: String, confDirectory: String, ipamDirectory: String,
            bridge: String = CNIConfig.defaultBridge, routeCheckInterval: Duration = .seconds(10)
        ) {
            self.routeCheckInterval = routeCheckInterval
            self.nodeName = nodeName
            self.clusterCIDR = clusterCIDR
            self.confDirectory = confDirectory
            self.ipamDirectory = ipamDirectory
            self.bridge = bridge
        }
    }

    let api: any ClusterAPI
    let runtime: any ContainerRuntime
    let host: any HostNetwork
    let configuration: Configuration
    let logger: Logger
    /// Opens once the conflist for the node's pod CIDR is written.
    public let configured = Latch()
    private let applied = Mutex<PodNetworkPlan>(PodNetworkPlan(podCIDR: nil, routes: []))

    /// What the route check waits on.
    let clock: ServiceClock

    public init(
        api: any ClusterAPI, runtime: any ContainerRuntime, host: any HostNetwork, configuration: Configuration,
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.clock = clock
        self.api = api
        self.runtime = runtime
        self.host = host
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let nodes = Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask {
                await nodes.run { _ in
                    await self.apply(PodNetworkPlan(node: self.configuration.nodeName, nodes: nodes.objects))
                }
            }
            group.addTask { await self.reassertRoutes() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Brings the host to `plan`: only what changed since the last plan is touched.
    func apply(_ plan: PodNetworkPlan) async {
        let before = applied.withLock { $0 }
        if let cidr = plan.podCIDR, cidr != before.podCIDR {
            do {
                try writeConflist(podCIDR: cidr)
                logger.info(
                    "pod network configured", metadata: ["podCIDR": "\(cidr)", "bridge": "\(configuration.bridge)"])
            } catch {
                logger.error(
                    "cannot write the CNI configuration",
                    metadata: ["directory": "\(configuration.confDirectory)", "error": "\(error)"])
                return
            }
            do { try await runtime.updatePodCIDR(cidr) } catch {
                logger.warning("runtime did not take the pod CIDR", metadata: ["error": "\(error)"])
            }
            do { try await host.ensureMasquerade(clusterCIDR: configuration.clusterCIDR) } catch {
                logger.error("cannot set up masquerading for the cluster CIDR", metadata: ["error": "\(error)"])
            }
            configured.open()
        }
        var routes = before.routes
        for route in plan.routes.subtracting(before.routes) {
            do {
                try await host.replaceRoute(route)
                routes.insert(route)
                logger.info("route to peer pods added", metadata: ["route": "\(route)"])
            } catch {
                logger.warning("cannot add route to peer pods", metadata: ["route": "\(route)", "error": "\(error)"])
            }
        }
        for route in before.routes.subtracting(plan.routes) {
            do { try await host.deleteRoute(route) } catch {
                logger.debug("route already gone", metadata: ["route": "\(route)", "error": "\(error)"])
            }
            routes.remove(route)
        }
        applied.withLock { $0 = PodNetworkPlan(podCIDR: plan.podCIDR ?? before.podCIDR, routes: routes) }
    }

    /// Puts the applied peer routes back every `routeCheckInterval` (`ip route replace` is idempotent), as flannel's
    /// host-gw backend does: an interface that went down and up again lost them.
    func reassertRoutes() async {
        await clock.repeating(every: configuration.routeCheckInterval) {
            for route in applied.withLock({ $0.routes }) {
                do { try await host.replaceRoute(route) } catch {
                    logger.debug("cannot put a peer route back", metadata: ["route": "\(route)", "error": "\(error)"])
                }
            }
        }
    }

    /// Writes the conflist atomically (the runtime watches the directory and must never read half a file).
    func writeConflist(podCIDR: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: configuration.confDirectory, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: configuration.ipamDirectory, withIntermediateDirectories: true)
        let body = CNIConfig.conflist(
            podCIDR: podCIDR, bridge: configuration.bridge, ipamDirectory: configuration.ipamDirectory)
        let path = "\(configuration.confDirectory)/\(CNIConfig.fileName)"
        try Data(body.serialized(.pretty)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
