import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// `skiff agent`: joins a remote server (CA pinned by the token, which gets the node its certificate) and runs its
/// node against the server's API over HTTPS: the real kubelet (`node`, injected by the CLI, which knows the container
/// runtime), or simulated nodes (`--simulate N`).
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
        /// Where the node keeps its password and certificate (`<data-dir>/agent`; simulated nodes each under
        /// `simulated/<name>` there); nil: a temporary directory.
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
    public init(
        configuration: Configuration, logger: Logger, node: @escaping @Sendable (any ClusterAPI) async throws -> Void
    ) {
        self.configuration = configuration
        self.logger = logger
        self.node = node
    }

    public func run() async throws {
        let join = try ClusterJoin(
            server: configuration.server, token: configuration.token, backoff: configuration.backoff, logger: logger)
        // The join may wait a long time for the server; shutdown ends that wait (and the agent) cleanly.
        guard let ca = try await Self.untilShutdown({ try await join.fetchCA() }) else { return }
        let directory = configuration.identityDirectory ?? FileManager.default.temporaryDirectory.path + "/skiff-agent"
        guard let count = configuration.simulate, count > 0 else {
            let identity = NodeIdentity(directory: directory, nodeName: configuration.nodeName, logger: logger)
            guard
                let credentials = try await Self.untilShutdown({ try await identity.credentials(join: join, caPEM: ca) }
                )
            else { return }
            try await withAPI(join: join, ca: ca, credentials: credentials) { api in
                // The node runs; beside it, its certificate is renewed before it expires.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await NodeCertificateRenewal(
                            identity: identity, join: join, caPEM: ca, tls: api.tls, logger: logger
                        )
                        .run()
                    }
                    try await node(api)
                    group.cancelAll()
                }
            }
            logger.info("agent stopped")
            return
        }
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
                    server: join.server, trustedCAPEM: ca, credentials: credential, logger: logger)
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

    private func withAPI(
        join: ClusterJoin, ca: [UInt8], credentials: ClusterCredentials, _ body: (HTTPClusterAPI) async throws -> Void
    ) async throws {
        try await HTTPClusterAPI.withAPI(
            server: join.server, trustedCAPEM: ca, credentials: credentials, logger: logger
        ) {
            api in
            guard try await Self.untilShutdown({ try await join.checkAccess(api) }) != nil else { return }
            try await body(api)
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
