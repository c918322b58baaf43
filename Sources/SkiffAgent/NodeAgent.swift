import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// `skiff agent`: joins a remote server (CA pinned by the token, bearer secret) and runs its nodes against the
/// server's API over HTTPS. Today those are simulated nodes; the containerd kubelet comes later.
public struct NodeAgent: Service {
    /// What the agent joins and runs.
    public struct Configuration: Sendable {
        public var server: String
        public var token: JoinToken
        /// Prefix of the simulated nodes' names, so they never collide with another agent's or the server's.
        public var nodeName: String
        /// Simulated nodes to run; nil or 0 asks for the real kubelet, which does not exist yet.
        public var simulate: Int?
        public var heartbeat: Duration
        public var backoff: Backoff

        public init(
            server: String, token: JoinToken, nodeName: String, simulate: Int?, heartbeat: Duration = .seconds(10),
            backoff: Backoff = Backoff()
        ) {
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

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let join = try ClusterJoin(
            server: configuration.server, token: configuration.token, backoff: configuration.backoff, logger: logger)
        // The join may wait a long time for the server; shutdown ends that wait (and the agent) cleanly.
        guard let ca = try await Self.untilShutdown({ try await join.fetchCA() }) else { return }
        try await HTTPClusterAPI.withAPI(
            server: join.server, trustedCAPEM: ca, credentials: .bearerToken(configuration.token.secret), logger: logger
        ) { api in
            guard try await Self.untilShutdown({ try await join.checkAccess(api) }) != nil else { return }
            guard let count = configuration.simulate, count > 0 else {
                throw AgentError(
                    .runtimeNotImplemented,
                    "joined \(join.server), but the container runtime agent (containerd kubelet) is not implemented yet; "
                        + "use --simulate N to run simulated nodes")
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

/// A failure of the agent itself (not of the join, which throws `ClientError`).
public struct AgentError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case runtimeNotImplemented
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
