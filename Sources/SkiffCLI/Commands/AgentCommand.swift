import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAgent
import SkiffClient
import SkiffContainerd
import SkiffModel

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run a node agent that joins a skiff server.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var tokens: TokenOptions
    @OptionGroup(title: "Agent") var agent: AgentOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let config: AgentConfig
        let token: JoinToken
        do {
            let layers = try ConfigLayers.load(
                explicitPath: common.config, environment: environment, allowedKeys: AgentConfig.fileKeys)
            let text = try ServerConfig.token(
                layers.string("token", flag: tokens.token), file: layers.string("token-file", flag: tokens.tokenFile))
            guard let text else { throw ConfigError("--token (or SKIFF_TOKEN, or --token-file) is required") }
            config = try AgentConfig(
                layers: layers, dataDir: layers.string("data-dir", flag: common.dataDir) ?? Defaults.dataDir,
                agent: agent, token: text, debug: try layers.bool("debug", flag: common.debug), requireServer: true)
            do {
                token = try JoinToken(parsing: text)
            } catch {
                throw ConfigError(error.message)
            }
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
        let logger = LogSetup.bootstrap(debug: config.debug)
        // Taken before any child starts (containerd would answer systemd for us).
        let notifier = SystemdNotifier.takeFromEnvironment()
        if (config.simulate ?? 0) == 0, getuid() != 0, config.containerRuntimeEndpoint == nil {
            throw ValidationError(
                "skiff agent needs root to run containerd (or --container-runtime-endpoint, or --simulate N)")
        }
        let kubelet = ContainerdNode.kubeletConfiguration(
            config, server: false, clusterCIDR: Defaults.clusterCIDR, serviceCIDR: Defaults.serviceCIDR,
            clusterDNS: Defaults.clusterDNS)
        let nodeAgent = NodeAgent(
            configuration: .init(
                servers: config.serverURLs, token: token, nodeName: config.nodeName, simulate: config.simulate,
                identityDirectory: "\(config.dataDir)/agent"),
            logger: logger,
            node: { connection in
                let api = connection.api
                var kubelet = kubelet
                // The server's cluster CIDR and DNS, not this binary's defaults: as the cache has them (they do not
                // change in a cluster's life, and an offline start must not wait for the server), else the server's.
                let cached = connection.cache?.object(
                    CacheKey(kind: "configmaps", namespace: ClusterSettings.namespace, name: ClusterSettings.name))
                var settings = cached.flatMap(ClusterSettings.init(configMap:))
                if settings == nil { settings = try? await api.clusterSettings() }
                if let settings {
                    kubelet.clusterCIDR = settings.clusterCIDR
                    kubelet.serviceCIDR = settings.serviceCIDR
                    kubelet.clusterDNS = [settings.clusterDNS]
                    kubelet.clusterDomain = settings.clusterDomain
                } else {
                    logger.warning(
                        "the server publishes no cluster settings (kube-system/skiff-config); assuming the defaults",
                        metadata: ["cluster-cidr": "\(kubelet.clusterCIDR)", "cluster-dns": "\(kubelet.clusterDNS)"])
                }
                let http = connection.server
                let kubeletAPI = ContainerdNode.KubeletAPIRoute.tunnels(
                    http.servers,
                    TunnelDialer.Configuration(
                        server: http.server, nodeName: config.nodeName, tls: http.tls,
                        authorization: http.authorization))
                kubelet.requestToken = connection.requestToken
                try await withThrowingDiscardingTaskGroup { group in
                    if let notifier {
                        group.addTask {
                            try await ReadinessNotification(
                                notifier: notifier, listening: nil, node: config.nodeName, api: api, logger: logger
                            ).run()
                        }
                    }
                    try await ContainerdNode(
                        api: api, agent: config, kubelet: kubelet, kubeletAPI: kubeletAPI, logger: logger
                    ).run()
                    group.cancelAll()
                }
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: nodeAgent)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            // The join's and the agent's own errors carry a message written for the user; say it once and exit 1.
            logger.error("skiff agent failed: \(Self.message(error))", metadata: ["node": "\(config.nodeName)"])
            throw ExitCode(1)
        }
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let error as ClientError: error.description
        case let error as ContainerdError: error.description
        default: String(describing: error)
        }
    }
}
