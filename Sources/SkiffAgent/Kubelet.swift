import Foundation
import Logging
import ServiceLifecycle
import SkiffCRI
import SkiffClient
import SkiffModel

/// A real node: the kubelet's parts over one container runtime and one API — the Node and its Lease, the pod
/// network, and the pods bound to the node. The runtime is ready when this starts (the caller started containerd and
/// imported the airgap images).
public struct Kubelet: Service {
    public struct Configuration: Sendable {
        public var nodeName: String
        /// nil: detected (the default route's interface).
        public var nodeIP: String?
        public var labels: [String: String]
        public var annotations: [String: String]
        public var taints: [NodeTaint]
        public var dataDirectory: String
        public var clusterCIDR: String
        /// The Services' range: the service proxy refuses connections to its unused addresses (nil: not known).
        public var serviceCIDR: String?
        public var clusterDNS: [String]
        public var clusterDomain: String
        public var kubeletVersion: String
        public var clock: ServiceClock
        /// Issues ServiceAccount tokens for projected volumes: (namespace, service account, TokenRequest) → answer.
        public var requestToken: (@Sendable (String, String, JSON) async throws -> JSON)?
        /// The node's resolvers: the cluster DNS forwards other names to them; dnsPolicy Default pods get the file.
        public var resolvConf = "/etc/resolv.conf"

        public init(
            nodeName: String, nodeIP: String?, labels: [String: String] = [:], annotations: [String: String] = [:],
            taints: [NodeTaint] = [],
            dataDirectory: String, clusterCIDR: String = "10.42.0.0/16", clusterDNS: [String] = [],
            clusterDomain: String = "cluster.local", kubeletVersion: String, clock: ServiceClock = .continuous
        ) {
            self.nodeName = nodeName
            self.nodeIP = nodeIP
            self.labels = labels
            self.annotations = annotations
            self.taints = taints
            self.dataDirectory = dataDirectory
            self.clusterCIDR = clusterCIDR
            self.clusterDNS = clusterDNS
            self.clusterDomain = clusterDomain
            self.kubeletVersion = kubeletVersion
            self.clock = clock
        }

        /// Kubelet's layout as root (`/var/log/pods`), under the data dir otherwise.
        public var podLogDirectory: String {
            getuid() == 0 ? "/var/log/pods" : "\(dataDirectory)/agent/logs/pods"
        }

        public var podsDirectory: String { "\(dataDirectory)/agent/pods" }
        public var cniConfDirectory: String { "\(dataDirectory)/agent/etc/cni/net.d" }
        public var cniStateDirectory: String { "\(dataDirectory)/agent/cni" }
    }

    let api: any ClusterAPI
    let runtime: any ContainerRuntime
    let configuration: Configuration
    let logger: Logger

    public init(api: any ClusterAPI, runtime: any ContainerRuntime, configuration: Configuration, logger: Logger) {
        self.api = api
        self.runtime = runtime
        self.configuration = configuration
        self.logger = logger
    }

    /// The kubelet API of this node, for the API server's `KubeletDirectory` (or the tunnel).
    public var endpoint: KubeletServer {
        KubeletServer(
            podLogDirectory: configuration.podLogDirectory, runtime: runtime, clock: configuration.clock, logger: logger
        )
    }

    public func run() async throws {
        let version =
            (try? await runtime.version())
            ?? RuntimeVersion(runtimeName: "containerd", runtimeVersion: "unknown", runtimeAPIVersion: "v1")
        let description = NodeDescription(
            name: configuration.nodeName, labels: configuration.labels, annotations: configuration.annotations,
            taints: configuration.taints,
            internalIP: configuration.nodeIP ?? NodeAddress.detect(),
            machine: MachineInfo.current(dataDirectory: configuration.dataDirectory),
            containerRuntimeVersion: "\(version.runtimeName)://\(version.runtimeVersion)",
            kubeletVersion: configuration.kubeletVersion)
        let runtime = runtime
        let dataDirectory = configuration.dataDirectory
        let node = NodeStatusReporter(
            api: api, description: description, configuration: .init(clock: configuration.clock), logger: logger,
            health: { await Self.health(runtime: runtime, dataDirectory: dataDirectory) })
        let network = PodNetwork(
            api: api, runtime: runtime, host: IPCommandHostNetwork(logger: logger),
            configuration: .init(
                nodeName: configuration.nodeName, clusterCIDR: configuration.clusterCIDR,
                confDirectory: configuration.cniConfDirectory, ipamDirectory: "\(configuration.cniStateDirectory)/ipam"),
            logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await node.run() }
            group.addTask { try await network.run() }
            try await runPods(description: description, network: network)
        }
    }

    /// The node's health from the runtime's conditions and the machine's free memory and disk.
    static func health(runtime: any ContainerRuntime, dataDirectory: String) async -> NodeHealth {
        var health = NodeHealth()
        do {
            let conditions = try await runtime.status()
            let notReady = conditions.filter {
                ($0.type == RuntimeCondition.runtimeReady || $0.type == RuntimeCondition.networkReady) && !$0.status
            }
            if !notReady.isEmpty {
                let reasons = notReady.map { "\($0.type)=false reason:\($0.reason) message:\($0.message)" }
                health.notReadyMessage = "container runtime not ready: \(reasons.joined(separator: ", "))"
            }
        } catch {
            health.notReadyMessage = "container runtime is down: \(error)"
        }
        let memory = MemoryInfo.current()
        health.memoryPressure = memory.total > 0 && memory.available < 100 * 1024 * 1024
        if let disk = FilesystemUsage.of(dataDirectory), disk.total > 0 {
            health.diskPressure = disk.available * 10 < disk.total
        }
        return health
    }
}

extension Kubelet {
    /// The service proxy and the cluster DNS server (k3s: kube-proxy and CoreDNS), over one watch of Services and
    /// EndpointSlices, for the node's ServiceGroup. None of them ends before graceful shutdown, whatever fails.
    public func serviceNetwork() -> [any Service] {
        let watch = ServiceWatch(api: api, logger: logger)
        // The watch runs until cancelled: graceful shutdown cancels it (the Kubelet's group waits for its children).
        var services: [any Service] = [ClosureService { try? await cancelWhenGracefulShutdown { await watch.run() } }]
        let dns = configuration.clusterDNS.first
        if let cluster = IPv4Network(configuration.clusterCIDR) {
            services.append(
                ServiceProxy(
                    watch: watch, nft: NFTCommand(logger: logger),
                    configuration: .init(
                        nodeName: configuration.nodeName, clusterCIDR: cluster,
                        serviceCIDR: configuration.serviceCIDR.flatMap(IPv4Network.init), clusterDNS: dns ?? ""),
                    logger: logger))
        } else {
            logger.error(
                "no service proxy: the cluster CIDR is not an IPv4 network",
                metadata: ["cluster-cidr": "\(configuration.clusterCIDR)"])
        }
        if let dns {
            services.append(
                ClusterDNSServer(
                    watch: watch, host: IPCommandHostNetwork(logger: logger),
                    configuration: .init(
                        address: dns, clusterDomain: configuration.clusterDomain, resolvConf: configuration.resolvConf),
                    logger: logger))
        }
        return services
    }

    /// Pods start once the node's pod network is configured (hostNetwork pods would not need it, but every sandbox
    /// would fail and back off until then).
    func runPods(description: NodeDescription, network: PodNetwork) async throws {
        try? await cancelWhenGracefulShutdown { await network.configured.wait() }
        guard network.configured.isOpen else { return }
        let pods = PodManager(
            api: api, runtime: runtime,
            configuration: .init(
                nodeName: configuration.nodeName, nodeIP: description.internalIP,
                podLogDirectory: configuration.podLogDirectory, podsDirectory: configuration.podsDirectory,
                clusterDNS: configuration.clusterDNS, clusterDomain: configuration.clusterDomain,
                clock: configuration.clock, resolvConf: configuration.resolvConf,
                requestToken: configuration.requestToken),
            logger: logger)
        try await pods.run()
    }
}
