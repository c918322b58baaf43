import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffContainerd
import SkiffModel
import SkiffTunnel

/// A real node on containerd, for `skiff server`'s embedded agent and for `skiff agent`: starts containerd as a child
/// (or connects to `--container-runtime-endpoint`), imports the airgap archives before any pod starts, keeps
/// importing archives dropped in later, and runs the kubelet over the given API.
struct ContainerdNode: Service {
    let api: any ClusterAPI
    let agent: AgentConfig
    let kubelet: Kubelet.Configuration
    /// How the server reaches this node's kubelet API.
    let kubeletAPI: KubeletAPIRoute
    let logger: Logger

    /// How the server reaches a node's kubelet API: always through a tunnel, in process for the embedded agent.
    enum KubeletAPIRoute {
        /// The server's own node: an in-process tunnel registered in its directory, and WebSocket tunnels to the
        /// other servers of the pool (several servers on one datastore), so they reach this node's kubelet too.
        case inProcess(KubeletDirectory, peers: (ServerPool, TunnelDialer.Configuration)?)
        /// A remote agent: the WebSocket tunnels it dials, one to each server of the pool (the configuration's
        /// server is replaced by each).
        case tunnels(ServerPool, TunnelDialer.Configuration)
        case none
    }

    func run() async throws {
        let paths = ContainerdPaths(dataDir: agent.dataDir)
        let supervisor =
            agent.containerRuntimeEndpoint == nil
            ? ContainerdSupervisor(
                config: ContainerdConfig(paths: paths, sandboxImage: agent.pauseImage, registries: agent.registries),
                logger: logger)
            : nil
        let socket = agent.containerRuntimeEndpoint.map(Self.socketPath) ?? paths.socket
        let runtime = try CRIRuntime(socket: socket, logger: logger)
        let importer = ImageImporter(paths: paths, socket: socket, logger: logger)
        let node = Kubelet(api: api, runtime: runtime, configuration: kubelet, logger: logger)
        let (kubeletAPI, nodeName, logger) = (kubeletAPI, kubelet.nodeName, logger)
        let kubeletService = ClosureService {
            if let supervisor {
                do {
                    try await supervisor.ready()
                } catch let error as ContainerdError where error.code == .stopped {
                    return  // shut down before containerd was ready
                }
            }
            await importer.importAll()
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await importer.run() }
                group.addTask {
                    try await Self.serveKubeletAPI(node.endpoint, route: kubeletAPI, node: nodeName, logger: logger)
                }
                try await node.run()
                group.cancelAll()
            }
        }
        // A graceful shutdown goes in reverse: the kubelet's pod workers finish their calls first, then the CRI
        // client closes, then containerd stops. Stopping them at once failed the calls in flight.
        // The service proxy and the cluster DNS need neither containerd nor the pods: they start at once, and stop
        // after the pods' workers (their rules and address stay, so traffic keeps flowing across a restart).
        let services: [any Service] =
            (supervisor.map { [$0] } ?? []) + [runtime] + node.serviceNetwork() + [kubeletService]
        try await ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger)).run()
    }

    /// Serves the kubelet API to the server for as long as the node runs, by the node's route: the embedded agent
    /// through a tunnel in process (the same streams and code as a remote agent's, without the WebSocket), a remote
    /// agent through the tunnel it dials.
    static func serveKubeletAPI(
        _ endpoint: any KubeletEndpoint, route: KubeletAPIRoute, node: String, logger: Logger
    ) async throws {
        switch route {
        case .inProcess(let directory, let peers):
            let loopback = LoopbackTunnel()
            let (listener, dialer) = (TunnelSession(side: .listener), TunnelSession(side: .dialer))
            let registration = directory.register(
                node: node, endpoint: TunnelKubeletEndpoint(session: listener, node: node))
            defer { directory.remove(node: node, registration: registration) }
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    try await loopback.serve(listener, accept: { $0.reset(reason: "the server accepts no streams") })
                }
                if let (pool, template) = peers {
                    group.addTask {
                        await TunnelFleet(pool: pool, template: template, endpoint: endpoint, logger: logger).dial()
                    }
                }
                try await loopback.serve(dialer, accept: { await KubeletTunnel.answer($0, with: endpoint) })
                group.cancelAll()
            }
        case .tunnels(let pool, let template):
            await TunnelFleet(pool: pool, template: template, endpoint: endpoint, logger: logger).dial()
        case .none:
            logger.warning("the server has no way to reach this node's kubelet API: no logs, exec or port-forward")
        }
    }

    /// `unix:///run/containerd/containerd.sock` or a plain path.
    static func socketPath(_ endpoint: String) -> String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// The kubelet's settings from the agent's: labels and taints from the flags, the server's roles.
    static func kubeletConfiguration(
        _ agent: AgentConfig, server: Bool, clusterCIDR: String, serviceCIDR: String?, clusterDNS: String
    ) -> Kubelet.Configuration {
        var labels: [String: String] = [:]
        if server {
            labels["node-role.kubernetes.io/control-plane"] = "true"
            labels["node-role.kubernetes.io/master"] = "true"
        }
        for label in agent.nodeLabels {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        var annotations: [String: String] = [:]
        if agent.autonomous { annotations[NodeObject.autonomyAnnotation] = "true" }
        var kubelet = Kubelet.Configuration(
            nodeName: agent.nodeName, nodeIP: agent.nodeIP, labels: labels, annotations: annotations,
            taints: agent.nodeTaints.compactMap(NodeTaint.init(parsing:)), dataDirectory: agent.dataDir,
            clusterCIDR: clusterCIDR, clusterDNS: [clusterDNS], kubeletVersion: SkiffVersion.gitVersion)
        kubelet.serviceCIDR = serviceCIDR
        kubelet.resolvConf = agent.resolvConf
        return kubelet
    }
}
