import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffPKI
import SkiffPostgresStore
import SkiffStore

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run the control plane (API server on SQLite) and, by default, an agent.")

    @OptionGroup var common: CommonOptions
    @OptionGroup(title: "Server") var server: ServerOptions
    @OptionGroup(title: "Embedded agent") var agent: AgentOptions

    func run() async throws {
        let config: ServerConfig
        do {
            config = try ServerConfig(
                common: common, server: server, agent: agent, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        let logger = LogSetup.bootstrap(debug: config.debug)
        // Taken before any child starts (containerd would answer systemd for us).
        let notifier = SystemdNotifier.takeFromEnvironment()
        let listening = Latch()
        let started = ContinuousClock.now
        try DataDirectory.prepareServer(config)
        let auditLog = config.auditLog.map { AuditLog(settings: $0, logger: logger) }
        func setup() throws -> Setup {
            var control = try ControlPlane.prepare(config, logger: logger)
            control.apiConfiguration.anonymousAuth = config.anonymousAuth
            control.apiConfiguration.auditLog = auditLog
            return Setup(
                config: config, logger: logger, notifier: notifier, listening: listening, started: started,
                control: control, auditLog: auditLog)
        }
        switch config.datastore {
        case .sqlite:
            let prepared = try setup()
            let store = try SQLiteStore(path: config.databasePath, logger: logger)
            defer { store.close() }
            try await serve(prepared, store: store, storeServices: [StoreIntegrityCheck(store: store, logger: logger)])
        case .postgres(let endpoint):
            // A wrong password or an unreachable database is a one-line error and exit status 1, never SQLite.
            let store: PostgresStore
            do {
                store = try await PostgresStore.connect(endpoint: endpoint, logger: logger)
            } catch {
                logger.error("skiff server failed: \(error.message)")
                throw ExitCode(1)
            }
            logger.info("datastore: PostgreSQL", metadata: ["endpoint": "\(endpoint.displayName)"])
            // The store runs under everything else: it stops once the services have.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                // Servers on one database share the CAs: taken from it, or put there by the first server.
                let tls = "\(config.serverDirectory)/tls"
                let prepared: Setup
                do {
                    let secret = try Self.tokenSecret(config)
                    let first = try await ClusterBootstrap.adopt(
                        store: store, tlsDirectory: tls, secret: secret, logger: logger)
                    prepared = try setup()
                    if first {
                        try await ClusterBootstrap.publish(
                            store: store, tlsDirectory: tls, secret: prepared.control.token.password, logger: logger)
                    }
                } catch let error as ClusterBootstrap.Failure {
                    logger.error("skiff server failed: \(error.description)")
                    throw ExitCode(1)
                }
                try await serve(prepared, store: store, storeServices: [])
            }
        }
    }

    /// The controllers, the scheduler and the other cluster-wide loops, made anew for each term of leadership.
    static func controllers(
        config: ServerConfig, registry: ObjectRegistry, api: InProcessClusterAPI, store: any KeyValueStore,
        clusterNetwork: IPv4Network, caPEM: String?, logger: Logger
    ) -> @Sendable () -> [any Service] {
        {
            // Each controller speaks as its ServiceAccount (its `system:controller:<name>` role), the scheduler as
            // system:kube-scheduler: the same authorizer judges them as any client.
            func controller(_ name: String) -> InProcessClusterAPI { .controller(name, registry: registry) }
            var services: [any Service] = [
                NamespaceFinalizer(api: api, logger: logger),
                StoreCompactor(store: store, logger: logger),
                ClusterDNSServiceReconciler(api: api, clusterIP: config.clusterDNS, logger: logger),
                AddonDeployer(
                    api: api, configuration: .init(directory: "\(config.serverDirectory)/manifests"), logger: logger),
                ServiceAccountController(api: controller("service-account-controller"), logger: logger),
                ClusterRoleAggregation(api: controller("clusterrole-aggregation-controller"), logger: logger),
            ]
            if let caPEM {
                services.append(
                    RootCAPublisher(api: controller("root-ca-cert-publisher"), caPEM: caPEM, logger: logger))
            }
            services += [
                SchedulerService(api: InProcessClusterAPI.scheduler(registry: registry), logger: logger),
                GarbageCollector(api: controller("generic-garbage-collector"), logger: logger),
                EndpointsController(
                    api: controller("endpoint-controller"), sliceAPI: controller("endpointslice-controller"),
                    logger: logger),
                ServiceLoadBalancerController(api: controller("service-controller"), logger: logger),
            ]
            if let ipam = NodeIPAMController(
                api: controller("node-controller"), clusterNetwork: clusterNetwork, logger: logger)
            {
                services.append(ipam)
            }
            services += [
                WorkloadController.deployments(api: controller("deployment-controller"), logger: logger),
                WorkloadController.replicaSets(api: controller("replicaset-controller"), logger: logger),
                WorkloadController.daemonSets(api: controller("daemon-set-controller"), logger: logger),
                WorkloadController.statefulSets(api: controller("statefulset-controller"), logger: logger),
                WorkloadController.jobs(api: controller("job-controller"), logger: logger),
                WorkloadController.cronJobs(api: controller("cronjob-controller"), logger: logger),
                NodeLifecycleController(
                    api: controller("node-controller"), gracePeriod: config.nodeMonitorGracePeriod, logger: logger),
            ]
            return services
        }
    }

    /// The token secret this server starts with: `--token` (a full `K10…` token or the bare secret), else the one
    /// kept in `server/token` from an earlier start; nil on a first start without a token.
    static func tokenSecret(_ config: ServerConfig) throws -> String? {
        if let token = config.token { return (try? NodeToken(parsing: token))?.password ?? token }
        return try NodeTokenFile(dataDirectory: config.dataDir).read()?.password
    }

    /// What `run` prepared before the datastore opened.
    struct Setup {
        var config: ServerConfig
        var logger: Logger
        var notifier: SystemdNotifier?
        var listening: Latch
        var started: ContinuousClock.Instant
        var control: ControlPlane
        var auditLog: AuditLog?
    }

    /// The server on an open datastore: the registry, the API server, the controllers and the embedded agent.
    func serve(_ setup: Setup, store: any KeyValueStore, storeServices: [any Service]) async throws {
        let (config, logger, notifier, listening, started, control, auditLog) = (
            setup.config, setup.logger, setup.notifier, setup.listening, setup.started, setup.control, setup.auditLog
        )
        let registry = ObjectRegistry(
            store: store, logger: logger, garbageCollection: true,
            podSecurityDefaults: PodSecurityPolicy(all: PodSecurityLevelVersion(config.podSecurityDefaultLevel)))
        try await registry.seed()
        // The API server follows the RBAC objects; in-process controllers starting alongside wait for its first list.
        registry.rbac.expectFollower()
        guard let serviceNetwork = IPv4Network(config.serviceCIDR), let clusterNetwork = IPv4Network(config.clusterCIDR)
        else {
            throw ValidationError("service-cidr and cluster-cidr must be IPv4 CIDRs")
        }
        try await registry.enableServiceAllocation(serviceNetwork: serviceNetwork)
        let apiAddress = HostAddress.primary(config)
        // Several servers on one database: a starting server leaves the others in the Endpoints (its reconciler adds
        // it, and drops the servers whose lease expired).
        let severalServers = config.datastore != .sqlite
        try await registry.seedKubernetesService(
            address: apiAddress, port: config.httpsListenPort, keepOthers: severalServers)
        try await registry.loadCustomResources()
        let apiServer = APIServer(
            configuration: control.apiConfiguration, registry: registry, logger: logger,
            onListening: { port in
                listening.open()
                logger.info(
                    "skiff server is ready",
                    metadata: [
                        "port": "\(port)", "startup": "\(ContinuousClock.now - started)",
                        "kubeconfig": "\(config.kubeconfigPath)",
                    ])
                print(
                    "skiff is running. Use it with:\n  export KUBECONFIG=\(config.kubeconfigPath)\n  kubectl get namespaces"
                )
                // Standard output to a pipe or file (journald, a log) is block-buffered: say it now, not at exit.
                fflush(nil)
            })
        let api = InProcessClusterAPI(registry: registry)
        // What joining agents read instead of assuming the defaults (their pod network and pods' DNS).
        try await api.publish(
            ClusterSettings(
                clusterCIDR: config.clusterCIDR, serviceCIDR: config.serviceCIDR, clusterDNS: config.clusterDNS))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: apiServer),
            .init(service: control.renewal),
            .init(
                service: CustomResourceController(
                    api: api, logger: logger, serve: { registry.serveCustomResources($0) },
                    removeInstances: { await registry.removeCustomResources(of: $0) })),
            .init(
                service: KubernetesServiceReconciler(
                    api: api, address: apiAddress, port: config.httpsListenPort,
                    clusterIP: registry.serviceAllocations.snapshot?.firstAddress,
                    membership: severalServers ? .seconds(15) : nil, logger: logger)),
        ]
        services += storeServices.map { .init(service: $0) }
        if let auditLog { services.append(.init(service: auditLog)) }
        // Snapshots copy the SQLite file; PostgreSQL has its own backups (pg_dump, its replication).
        if let snapshots = config.snapshots, config.datastore == .sqlite {
            services.append(
                .init(
                    service: SnapshotScheduler(
                        schedule: snapshots.schedule, retention: snapshots.retention, database: config.databasePath,
                        folder: SnapshotFolder(directory: snapshots.directory), node: config.agent.nodeName,
                        logger: logger)))
        }
        if NodeIPAMController(api: api, clusterNetwork: clusterNetwork, logger: logger) == nil {
            logger.warning(
                "cluster-cidr is too small for /24 node subnets; node IPAM is off",
                metadata: ["cluster-cidr": "\(clusterNetwork)"])
        }
        let makeControllers = Self.controllers(
            config: config, registry: registry, api: api, store: store, clusterNetwork: clusterNetwork,
            caPEM: control.apiConfiguration.serverCAPEM, logger: logger)
        if config.datastore == .sqlite {
            // One server: its controllers simply run.
            services += makeControllers().map { .init(service: $0) }
        } else {
            // Several servers on one database: the controllers and the scheduler run on the Lease's holder only.
            let identity = "\(ProcessInfo.processInfo.hostName.lowercased())_\(UUID().uuidString.lowercased())"
            services.append(
                .init(
                    service: LeaderElectedServices(
                        api: api,
                        lease: .init(namespace: "kube-system", name: "skiff-controllers"), identity: identity,
                        logger: logger, makeServices: makeControllers)))
        }
        var readyNode: String?
        if let simulated = config.agent.simulate, simulated > 0 {
            let subnets = clusterNetwork.prefixLength <= 24 ? 1 << (24 - clusterNetwork.prefixLength) : 0
            if simulated > subnets {
                logger.warning(
                    "cluster-cidr has room for fewer /24 node subnets than simulated nodes: pods on nodes without a pod CIDR stay Pending; use a larger --cluster-cidr (e.g. 10.0.0.0/8)",
                    metadata: ["cluster-cidr": "\(clusterNetwork)", "subnets": "\(subnets)", "nodes": "\(simulated)"])
            }
            // Heartbeats well inside the grace period, as kubelets do (10 s against 40 s by default).
            let heartbeat = min(Duration.seconds(10), config.nodeMonitorGracePeriod / 4)
            // Their pod CIDRs come from node IPAM, as a real node's do.
            let nodes = SimulatedNodes(
                api: api, count: simulated, heartbeat: heartbeat, selfAssignedCIDRs: false, logger: logger)
            services.append(.init(service: nodes))
        } else if !config.disableAgent {
            if getuid() != 0, config.agent.containerRuntimeEndpoint == nil {
                logger.warning(
                    "the embedded agent needs root to run containerd; running the control plane only (run as root, or pass --disable-agent to silence this)"
                )
            } else {
                var kubelet = ContainerdNode.kubeletConfiguration(
                    config.agent, server: true, clusterCIDR: config.clusterCIDR, serviceCIDR: config.serviceCIDR,
                    clusterDNS: config.clusterDNS)
                if let key = control.apiConfiguration.serviceAccountKey {
                    let accounts = api.type("", "v1", "serviceaccounts")
                    kubelet.requestToken = { namespace, account, request in
                        try await TokenIssuer.issue(
                            registry: registry, key: key, type: accounts, namespace: namespace, serviceAccount: account,
                            request: request)
                    }
                }
                readyNode = config.agent.nodeName
                // The embedded agent speaks as its node, with a remote node's rights (the node authorizer).
                let nodeAPI = InProcessClusterAPI.node(config.agent.nodeName, registry: registry)
                var peers: (ServerPool, TunnelDialer.Configuration)?
                if severalServers {
                    // The other servers reach this node through tunnels it dials to them, as a remote agent's.
                    let own = "https://\(apiAddress):\(config.httpsListenPort)"
                    let certificate = try PeerTunnelCertificate(
                        clientCA: control.clientCA, serverCAPEM: control.apiConfiguration.serverCAPEM ?? "",
                        node: config.agent.nodeName, logger: logger)
                    let pool = ServerPool([])
                    peers = (
                        pool,
                        TunnelDialer.Configuration(
                            server: "", nodeName: config.agent.nodeName, tls: certificate.tls, authorization: nil)
                    )
                    services.append(.init(service: certificate))
                    services.append(
                        .init(service: ServerDiscovery(api: nodeAPI, pool: pool, excluding: own, logger: logger)))
                }
                services.append(
                    .init(
                        service: ContainerdNode(
                            api: nodeAPI, agent: config.agent, kubelet: kubelet,
                            kubeletAPI: .inProcess(control.apiConfiguration.kubelets, peers: peers), logger: logger)))
            }
        }
        if let notifier {
            services.append(
                .init(
                    service: ReadinessNotification(
                        notifier: notifier, listening: listening, node: readyNode, api: api, logger: logger)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            // containerd missing, a port taken…: one line that says what to do, and exit status 1.
            logger.error("skiff server failed: \(AgentCommand.message(error))")
            throw ExitCode(1)
        }
    }
}

/// The server's identity material: CAs and certificates, the join token and the admin kubeconfig, created on
/// first start and reused afterwards (k3s layout under `<data-dir>/server`).
struct ControlPlane {
    var apiConfiguration: APIServerConfiguration
    var token: NodeToken
    /// Signs the embedded node's certificate for its tunnels to the other servers.
    var clientCA: CertificateAuthority
    /// Renews the serving and admin certificates while the server runs.
    var renewal: ServerCertificateRenewal

    static func prepare(_ config: ServerConfig, logger: Logger) throws -> ControlPlane {
        var sans = ServingNames.kubernetesAPIDefaults + [ProcessInfo.processInfo.hostName.lowercased()] + config.tlsSANs
        if let address = config.advertiseAddress { sans.append(address) }
        if let nodeIP = config.agent.nodeIP { sans.append(nodeIP) }
        let lifetime = config.serverCertificateLifetime.map { Double($0.components.seconds) } ?? SkiffPKI.leafValidity
        let pkiSettings = ServerCertificateRenewal.Settings(
            directory: "\(config.serverDirectory)/tls", names: try ServingNames(sans), lifetime: lifetime,
            kubeconfigPath: config.kubeconfigPath, kubeconfigMode: mode_t(config.kubeconfigMode),
            server: "https://127.0.0.1:\(config.httpsListenPort)")
        let pki = try pkiSettings.load()
        for change in pki.changes { logger.info("certificate \(change)") }
        let password = try config.token.map { token throws -> String in
            (try? NodeToken(parsing: token))?.password ?? token
        }
        let token = try NodeTokenFile(dataDirectory: config.dataDir).loadOrCreate(
            caPEM: Array(pki.serverCA.certificatePEM.utf8), password: password)
        let kubeconfig = Kubeconfig(admin: pki, server: "https://127.0.0.1:\(config.httpsListenPort)")
        try kubeconfig.write(to: config.kubeconfigPath, mode: mode_t(config.kubeconfigMode))
        var api = APIServerConfiguration(
            host: config.bindAddress, port: config.httpsListenPort,
            servingCertificatePEM: pki.serving.certificatePEM + pki.serverCA.certificatePEM,
            servingKeyPEM: pki.serving.privateKeyPEM, clientCAPEM: pki.clientCA.certificatePEM,
            joinSecret: token.password, advertiseAddress: config.advertiseAddress ?? "127.0.0.1",
            serverCAPEM: pki.serverCA.certificatePEM, serviceAccountKey: pki.serviceAccountKey)
        api.nodeRegistrar = NodeRegistrar(
            clientCA: pki.clientCA,
            validity: config.nodeCertificateLifetime.map { Double($0.components.seconds) } ?? SkiffPKI.leafValidity)
        let serving = try ServingCertificate(
            certificatePEM: pki.serving.certificatePEM + pki.serverCA.certificatePEM, keyPEM: pki.serving.privateKeyPEM)
        api.servingCertificate = serving
        return ControlPlane(
            apiConfiguration: api, token: token, clientCA: pki.clientCA,
            renewal: ServerCertificateRenewal(settings: pkiSettings, serving: serving, loaded: pki, logger: logger))
    }
}

/// The data-dir layout k3s users know: `server/{db,tls,manifests,cred}`, `agent/{images,...}`.
enum DataDirectory {
    static func prepareServer(_ config: ServerConfig) throws {
        for folder in ["server/db", "server/tls", "server/manifests", "server/cred", "agent/images", "agent/etc"] {
            try FileManager.default.createDirectory(
                atPath: "\(config.dataDir)/\(folder)", withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
    }
}
