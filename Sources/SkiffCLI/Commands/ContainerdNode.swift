import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffContainerd
import SkiffModel

/// A real node on containerd, for `skiff server`'s embedded agent and for `skiff agent`: starts containerd as a child
/// (or connects to `--container-runtime-endpoint`), imports the airgap archives before any pod starts, keeps
/// importing archives dropped in later, and runs the kubelet over the given API.
struct ContainerdNode: Service {
    let api: any ClusterAPI
    let agent: AgentConfig
    let kubelet: Kubelet.Configuration
    /// Where the server finds this node's kubelet API (the embedded agent); nil for remote agents.
    let directory: KubeletDirectory?
    let logger: Logger

    func run() async throws {
        let paths = ContainerdPaths(dataDir: agent.dataDir)
        let supervisor = agent.containerRuntimeEndpoint == nil
            ? ContainerdSupervisor(config: ContainerdConfig(paths: paths, sandboxImage: agent.pauseImage), logger: logger)
            : nil
        let socket = agent.containerRuntimeEndpoint.map(Self.socketPath) ?? paths.socket
        let runtime = try CRIRuntime(socket: socket, logger: logger)
        let importer = ImageImporter(paths: paths, socket: socket, logger: logger)
        let node = Kubelet(api: api, runtime: runtime, configuration: kubelet, logger: logger)
        let (directory, nodeName) = (directory, kubelet.nodeName)
        let kubeletService = ClosureService {
            if let supervisor {
                do {
                    try await supervisor.ready()
                } catch let error as ContainerdError where error.code == .stopped {
                    return  // shut down before containerd was ready
                }
            }
            await importer.importAll()
            directory?.register(node: nodeName, endpoint: node.endpoint)
            defer { directory?.remove(node: nodeName) }
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await importer.run() }
                try await node.run()
            }
        }
        // A graceful shutdown goes in reverse: the kubelet's pod workers finish their calls first, then the CRI
        // client closes, then containerd stops. Stopping them at once failed the calls in flight.
        let services: [any Service] = (supervisor.map { [$0] } ?? []) + [runtime, kubeletService]
        try await ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger)).run()
    }

    /// `unix:///run/containerd/containerd.sock` or a plain path.
    static func socketPath(_ endpoint: String) -> String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// The kubelet's settings from the agent's: labels and taints from the flags, the server's roles.
    static func kubeletConfiguration(
        _ agent: AgentConfig, server: Bool, clusterCIDR: String, clusterDNS: String
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
        return Kubelet.Configuration(
            nodeName: agent.nodeName, nodeIP: agent.nodeIP, labels: labels,
            taints: agent.nodeTaints.compactMap(NodeTaint.init(parsing:)), dataDirectory: agent.dataDir,
            clusterCIDR: clusterCIDR, clusterDNS: [clusterDNS], kubeletVersion: SkiffVersion.gitVersion)
    }
}
