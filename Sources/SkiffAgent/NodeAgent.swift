import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// `skiff agent`: joins a remote server (CA pinned by the token, bearer secret) and runs its node against the
/// server's API over HTTPS: the real kubelet (`node`, injected by the CLI, which knows the container runtime), or
/// simulated nodes (`--simulate N`).
public struct NodeAgent: Service {
    /// What the agent joins and runs.
    public struct Configuration: Sendable {
        public var server: String
        public var token: JoinToken
        /// Prefix of the simulated nodes' names, so they never collide with another agent's or the server's.
        public var nodeName: String
        /// Simulated nodes to run; nil or 0 runs the real kubelet.
        public var simulate: Int?
        public var heartbeat: Duration
        public var backoff: Backoff
        /// Where the real node keeps its password and certificate (`<data-dir>/agent`); nil: the node speaks with the
        /// token's secret (simulated nodes always do).
        public var identityDirectory: String?

        public init(
            server: String, token: JoinToken, nodeName: String, simulate: Int?, heartbeat: Duration = .seconds(10),
            backoff: Backoff = Backoff(), identityDirectory: String? = nil
        ) {
            self.identityDirectory = identityDirectory
            self.server = server
            self.token = token
            self.nodeName = nodeName
            self.simulate = simulate
            self.heartbeat = heartbeat
            self.backoff = backoff
        }
    }

    let configuration: Configuration
    let logger: Logger
    let node: @Sendable (any ClusterAPI) async throws -> Void

    /// - Parameter node: runs the real node (kubelet and container runtime) over the joined API until shutdown.
    public init(configuration: Configuration, logger: Logger, node: @escaping @Sendable (any ClusterAPI) async throws -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.node = node
    }

    public func run() async throws {
        let join = try ClusterJoin(
            server: configuration.server, token: configuration.token, backoff: configuration.backoff, logger: logger)
        // The join may wait a long time for the server; shutdown ends that wait (and the agent) cleanly.
        guard let ca = try await Self.untilShutdown({ try await join.fetchCA() }) else { return }
        var credentials = ClusterCredentials.bearerToken(configuration.token.secret)
        if let directory = configuration.identityDirectory, (configuration.simulate ?? 0) == 0 {
            let identity = NodeIdentity(directory: directory, nodeName: configuration.nodeName, logger: logger)
            guard let issued = try await Self.untilShutdown({ try await identity.credentials(join: join, caPEM: ca) }) else {
                return
            }
            credentials = issued
        }
        try await HTTPClusterAPI.withAPI(
            server: join.server, trustedCAPEM: ca, credentials: credentials, logger: logger
        ) { api in
            guard try await Self.untilShutdown({ try await join.checkAccess(api) }) != nil else { return }
            guard let count = configuration.simulate, count > 0 else {
                try await node(api)
                return
            }
            try await SimulatedNodes(
                api: api, count: count, prefix: configuration.nodeName, heartbeat: configuration.heartbeat,
                logger: logger
            ).run()
        }
        logger.info("agent stopped")
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
