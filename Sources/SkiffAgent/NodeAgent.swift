import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import SkiffPKI

/// `skiff agent`: joins a remote server (CA pinned by the token, which gets the node its certificate) and runs its
/// node against the server's API over HTTPS: the real kubelet (`node`, injected by the CLI, which knows the container
/// runtime), or simulated nodes (`--simulate N`).
public struct NodeAgent: Service {
    /// What the agent joins and runs.
    public struct Configuration: Sendable {
        /// The servers given with `--server` (`https://HOST:PORT`), tried in order; more are learned from the
        /// `kubernetes` Endpoints.
        public var servers: [String]
        public var token: JoinToken
        /// Prefix of the simulated nodes' names, so they never collide with another agent's or the server's.
        public var nodeName: String
        /// Simulated nodes to run; nil or 0 runs the real kubelet.
        public var simulate: Int?
        public var heartbeat: Duration
        public var backoff: Backoff
        /// Where the node keeps its password and certificate (`<data-dir>/agent`; simulated nodes each under
        /// `simulated/<name>` there); nil: a temporary directory.
        public var identityDirectory: String?
        /// How long one request to the server may take (a dead link is noticed by then at the latest).
        public var requestTimeout: Duration = .seconds(10)
        public var link = ServerLinkMonitor.Configuration()

        public init(
            servers: [String], token: JoinToken, nodeName: String, simulate: Int?, heartbeat: Duration = .seconds(10),
            backoff: Backoff = Backoff(), identityDirectory: String? = nil
        ) {
            self.identityDirectory = identityDirectory
            self.servers = servers
            self.token = token
            self.nodeName = nodeName
            self.simulate = simulate
            self.heartbeat = heartbeat
            self.backoff = backoff
        }
    }

    /// What the real node runs over.
    public struct Connection: Sendable {
        /// The server's API through the agent's cache (the server's own when the cache could not be opened).
        public var api: any ClusterAPI
        /// The server's API, direct (the tunnel's address and credentials).
        public var server: HTTPClusterAPI
        public var link: ServerLinkMonitor
        /// The agent's cache; nil when it could not be opened.
        public var cache: AgentCache?
        /// Issues ServiceAccount tokens for projected volumes (answers kept in the cache).
        public var requestToken: @Sendable (String, String, JSON) async throws -> JSON
    }

    let configuration: Configuration
    let logger: Logger
    let node: @Sendable (Connection) async throws -> Void

    /// - Parameter node: runs the real node (kubelet and container runtime) over the joined API until shutdown.
    public init(
        configuration: Configuration, logger: Logger, node: @escaping @Sendable (Connection) async throws -> Void
    ) {
        self.configuration = configuration
        self.logger = logger
        self.node = node
    }

    public func run() async throws {
        let join = try ClusterJoin(
            servers: configuration.servers, token: configuration.token, backoff: configuration.backoff, logger: logger)
        let directory = configuration.identityDirectory ?? FileManager.default.temporaryDirectory.path + "/skiff-agent"
        guard let count = configuration.simulate, count > 0 else {
            try await runNode(join: join, directory: directory)
            logger.info("agent stopped")
            return
        }
        // The join may wait a long time for the server; shutdown ends that wait (and the agent) cleanly.
        guard let ca = try await Self.untilShutdown({ try await join.fetchCA() }) else { return }
        // Hollow nodes: each gets its own certificate and writes with it, as a real node would.
        let names = (0..<count).map { "\(configuration.nodeName)-\($0)" }
        var credentials: [String: ClusterCredentials] = [:]
        for name in names {
            let identity = NodeIdentity(directory: "\(directory)/simulated/\(name)", nodeName: name, logger: logger)
            guard let issued = try await Self.untilShutdown({ try await identity.credentials(join: join, caPEM: ca) })
            else { return }
            credentials[name] = issued
        }
        var apis: [String: HTTPClusterAPI] = [:]
        do {
            for (name, credential) in credentials {
                apis[name] = try HTTPClusterAPI(
                    servers: join.servers, trustedCAPEM: ca, credentials: credential, logger: logger)
            }
            let writers = apis
            if let reader = writers[names[0]],
                try await Self.untilShutdown({ try await join.checkAccess(reader) }) != nil
            {
                try await SimulatedNodes(
                    api: reader, count: count, prefix: configuration.nodeName, heartbeat: configuration.heartbeat,
                    logger: logger, writer: { name in writers[name] ?? reader }
                ).run()
            }
        } catch {
            for api in apis.values { await api.shutdown() }
            throw error
        }
        for api in apis.values { await api.shutdown() }
        logger.info("agent stopped")
    }

    /// The real node. A node that ran before starts on what it kept — the server CA the token pins, its certificate,
    /// its cache — without waiting for the server, which it keeps trying in the background (`ServerLinkMonitor`);
    /// a new node joins first (CA, certificate, one authenticated request).
    private func runNode(join: ClusterJoin, directory: String) async throws {
        let identity = NodeIdentity(directory: directory, nodeName: configuration.nodeName, logger: logger)
        let pinned = identity.pinnedCA(token: configuration.token)
        let ca: [UInt8]
        if let pinned {
            ca = pinned
        } else {
            guard let fetched = try await Self.untilShutdown({ try await join.fetchCA() }) else { return }
            do { try identity.keepCA(fetched) } catch {
                logger.warning(
                    "cannot keep the server CA: a restart will need the server", metadata: ["error": "\(error)"])
            }
            ca = fetched
        }
        let kept = pinned == nil ? nil : identity.currentCertificate()
        let credentials: ClusterCredentials
        if let kept {
            credentials = .clientCertificate(certificatePEM: kept.certificatePEM, keyPEM: kept.keyPEM)
            logger.info(
                "starting with the node certificate kept on disk", metadata: ["file": "\(identity.certificatePath)"])
        } else {
            guard
                let issued = try await Self.untilShutdown({ try await identity.credentials(join: join, caPEM: ca) })
            else { return }
            credentials = issued
        }
        try await HTTPClusterAPI.withAPI(
            servers: join.servers, trustedCAPEM: ca, credentials: credentials,
            requestTimeout: configuration.requestTimeout,
            logger: logger
        ) { http in
            if kept == nil {
                guard try await Self.untilShutdown({ try await join.checkAccess(http) }) != nil else { return }
            }
            let link = ServerLinkMonitor(
                server: join.server, configuration: configuration.link, logger: logger,
                probe: Self.probe(http, node: configuration.nodeName))
            link.onChange { action in await NodeLinkEvents.post(action, node: configuration.nodeName, api: http) }
            let cache = openCache(directory: directory, caPEM: ca)
            let api: any ClusterAPI = cache.map { CachedClusterAPI(upstream: http, cache: $0, link: link) } ?? http
            let accounts = http.type("", "v1", "serviceaccounts")
            let request: @Sendable (String, String, JSON) async throws -> JSON = { namespace, account, body in
                try await http.create(accounts, namespace: namespace, name: account, subresource: "token", body: body)
            }
            let connection = Connection(
                api: api, server: http, link: link, cache: cache,
                requestToken: (api as? CachedClusterAPI)?.cachingTokens(request) ?? request)
            // The node runs; beside it, its certificate is renewed before it expires, the link is watched and the
            // cache written.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var renewal = NodeCertificateRenewal(
                        identity: identity, join: join, caPEM: ca, tls: http.tls, logger: logger)
                    if kept != nil { renewal.obtained = identity.certificateObtained() }
                    try await renewal.run()
                }
                group.addTask { try await link.run() }
                group.addTask { try await ServerDiscovery(api: http, logger: logger).run() }
                if let cache { group.addTask { try await cache.run() } }
                try await node(connection)
                group.cancelAll()
            }
        }
    }

    /// The agent's cache, tagged with the cluster CA; nil (the agent runs without one) when it cannot be opened. A
    /// cache written under another cluster's CA is set aside, never mixed in.
    func openCache(directory: String, caPEM: [UInt8]) -> AgentCache? {
        let path = "\(directory)/cache/cache.db"
        let fingerprint = NodeToken.hashCA(pem: caPEM)
        do {
            return try AgentCache(path: path, fingerprint: fingerprint, logger: logger)
        } catch  where error.code == .otherCluster {
            let kept = "\(path).other-cluster-\(Int(Date().timeIntervalSince1970))"
            logger.error(
                "agent cache refused: it belongs to another cluster; set aside, starting with an empty cache",
                metadata: ["path": "\(path)", "kept": "\(kept)", "error": "\(error.message)"])
            do {
                try FileManager.default.moveItem(atPath: path, toPath: kept)
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                return try AgentCache(path: path, fingerprint: fingerprint, logger: logger)
            } catch {
                logger.error("agent runs without a cache", metadata: ["path": "\(path)", "error": "\(error)"])
                return nil
            }
        } catch {
            logger.error(
                "agent cache cannot be opened: the agent runs without one",
                metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// One small authenticated request: the node's Lease (a 404 before the node registered still proves the link).
    static func probe(_ http: HTTPClusterAPI, node: String) -> @Sendable () async throws(APIError) -> Void {
        let leases = http.type("coordination.k8s.io", "v1", "leases")
        return { () async throws(APIError) in
            do throws(APIError) {
                _ = try await http.get(leases, namespace: "kube-node-lease", name: node)
            } catch {
                if ServerLink.isUnreachable(error) { throw error }
            }
        }
    }

    /// `operation`'s result, or nil when graceful shutdown (or cancellation) came first.
    static func untilShutdown<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
        do {
            return try await cancelWhenGracefulShutdown { try await operation() }
        } catch let error as ClientError where error.code == .cancelled {
            return nil
        }
    }
}
