import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SkiffModel
import SkiffPKI
import Synchronization

/// What the API server listens on and how it proves and checks identities.
public struct APIServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); `onListening` reports the one bound.
    public var port: Int
    public var servingCertificatePEM: String
    public var servingKeyPEM: String
    /// Client certificates are verified against this CA during the TLS handshake.
    public var clientCAPEM: String
    /// The join secret accepted as a bearer token / basic-auth password from agents.
    public var joinSecret: String?
    /// Address announced in discovery (`serverAddressByClientCIDRs`).
    public var advertiseAddress: String
    /// The server CA PEM served at `/cacerts`, byte for byte what the node token's hash covers.
    public var serverCAPEM: String?
    /// Signs and verifies service account tokens; nil disables both.
    public var serviceAccountKey: ServiceAccountKey?
    /// Event loop threads serving connections (each connection's requests are handled on its loop).
    public var eventLoopThreads = Self.defaultEventLoopThreads
    /// After our close_notify, how long to wait for the peer's: briefly, so that a client that went silent does not
    /// hold up the shutdown (Go's server does not wait at all).
    public var tlsShutdownTimeout: TimeAmount
    /// The kubelets `pods/log` (and next exec, attach, port-forward) reach, by node name.
    public var kubelets = KubeletDirectory()
    /// Issues node certificates to joining agents (`/v1-skiff/node-certificate`); nil issues none.
    public var nodeRegistrar: NodeRegistrar?
    /// Bearer tokens with fixed users (kube-apiserver's `--token-auth-file`).
    public var staticTokens: [String: UserInfo] = [:]
    /// When set, each handshake presents its current certificate (renewed while running) instead of the PEMs above.
    public var servingCertificate: ServingCertificate?
    /// Whether requests without credentials may read `/healthz`, `/livez`, `/readyz` and `/version`
    /// (`--anonymous-auth`); everything else needs credentials either way.
    public var anonymousAuth = true
    /// Receives an event per request (run it as a service of its own); nil: no audit log.
    public var auditLog: AuditLog?

    /// One loop per core but one: the SQLite writer commits on a thread of its own, and on a two-core box a second
    /// loop only competes with it — measured 18 % more creates/s and 18 % less CPU per request with one loop than
    /// with two at 16 clients (BENCHMARKS.md).
    public static var defaultEventLoopThreads: Int { max(1, System.coreCount - 1) }

    public init(
        host: String, port: Int, servingCertificatePEM: String, servingKeyPEM: String, clientCAPEM: String,
        joinSecret: String?, advertiseAddress: String, serverCAPEM: String? = nil,
        serviceAccountKey: ServiceAccountKey? = nil,
        tlsShutdownTimeout: TimeAmount = .milliseconds(500)
    ) {
        self.tlsShutdownTimeout = tlsShutdownTimeout
        self.serviceAccountKey = serviceAccountKey
        self.host = host
        self.port = port
        self.servingCertificatePEM = servingCertificatePEM
        self.servingKeyPEM = servingKeyPEM
        self.clientCAPEM = clientCAPEM
        self.joinSecret = joinSecret
        self.advertiseAddress = advertiseAddress
        self.serverCAPEM = serverCAPEM
    }
}

/// The HTTPS Kubernetes API endpoint, a `Service` that runs until graceful shutdown.
public struct APIServer: Service {
    let configuration: APIServerConfiguration
    let registry: ObjectRegistry
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    public init(
        configuration: APIServerConfiguration, registry: ObjectRegistry, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let serving = try NIOSSLCertificate.fromPEMBytes(Array(configuration.servingCertificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(configuration.servingKeyPEM.utf8), format: .pem)
        let clientCAs = try NIOSSLCertificate.fromPEMBytes(Array(configuration.clientCAPEM.utf8))
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: serving.map { .certificate($0) }, privateKey: .privateKey(key))
        // Clients without a certificate may still authenticate with a token; presented certificates must chain to
        // the client CA.
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(clientCAs)
        tls.applicationProtocols = ["http/1.1"]
        if let current = configuration.servingCertificate { tls.sslContextCallback = current.contextCallback }
        let registry = self.registry
        let logger = self.logger
        let live = LiveObjects(api: InProcessClusterAPI(registry: registry), logger: logger)
        let serviceAccounts = configuration.serviceAccountKey.map { key in
            ServiceAccountTokenAuthenticator(
                key: key,
                liveUID: { resource, namespace, name in
                    if let uid = live.uid(resource, namespace: namespace, name: name) { return uid }
                    guard let type = registry.resources.lookup(group: "", version: "v1", resource: resource) else {
                        return nil
                    }
                    return try? await registry.getObject(type, namespace: namespace, name: name).uid
                },
                now: registry.now, logger: logger)
        }
        tls.shutdownTimeout = configuration.tlsShutdownTimeout
        let tlsConfiguration = tls
        let shutdown = ShutdownState()
        let responder = APIResponder(
            registry: registry,
            authenticator: Authenticator(
                joinSecret: configuration.joinSecret, serviceAccounts: serviceAccounts,
                bootstrapSecrets: { name in
                    guard let secrets = registry.resources.lookup(group: "", version: "v1", resource: "secrets") else {
                        return nil
                    }
                    return try? await registry.getObject(secrets, namespace: BootstrapToken.namespace, name: name)
                }, staticTokens: configuration.staticTokens, now: registry.now),
            serverAddress: "\(configuration.advertiseAddress):\(configuration.port)",
            caCertificatesPEM: configuration.serverCAPEM.map { Array($0.utf8) }, shutdown: shutdown,
            logger: logger, serviceAccountKey: configuration.serviceAccountKey, kubelets: configuration.kubelets,
            nodeRegistrar: configuration.nodeRegistrar, anonymousAuth: configuration.anonymousAuth,
            auditLog: configuration.auditLog)
        let date = HTTPDateService()
        let onListening = self.onListening
        let loops = Self.eventLoops(threads: configuration.eventLoopThreads)
        let server = Server(
            childChannelSetup: APIConnectionChannel(
                base: try TLSChannel(
                    APIHTTPChannel(responder: responder, date: date, logger: logger),
                    tlsConfiguration: tlsConfiguration)),
            configuration: ServerConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            eventLoopGroup: loops,
            logger: logger)
        // On shutdown Hummingbird's `Server` stops accepting and quiesces the connections: `APIHTTPHandler` closes
        // idle ones at once and busy ones after their current response; watches end (`WatchSession`); requests still arriving on open connections get 503 and
        // `Connection: close`. Nothing keeps a connection busy, so the server stops as soon as the clients have read.
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await date.run() }
                // Authorization reads the RBAC objects from memory: serve once the first full list is in.
                group.addTask {
                    await registry.rbac.follow(api: InProcessClusterAPI(registry: registry), logger: logger)
                }
                // Service account tokens are checked against live objects from memory.
                if serviceAccounts != nil { group.addTask { await live.follow() } }
                defer { group.cancelAll() }
                await registry.rbac.waitUntilSynced()
                try await server.run()
            }
        } onGracefulShutdown: {
            logger.debug("API server shutting down: refusing new requests")
            shutdown.begin()
        }
    }
}

extension APIServer {
    /// The API servers' event loops: one group per thread count, kept for the life of the process as NIO's
    /// singleton is. Hummingbird ends its graceful shutdown in a task of its own that can still wait on a connection's
    /// loop after `Server.run()` returned; a group shut down at that moment drops the wait's callback ("Cannot
    /// schedule tasks on an EventLoop that has already shut down"), and whatever waits on it waits forever.
    static func eventLoops(threads: Int) -> MultiThreadedEventLoopGroup {
        loopGroups.withLock { groups in
            if let group = groups[threads] { return group }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            groups[threads] = group
            return group
        }
    }

    private static let loopGroups = Mutex<[Int: MultiThreadedEventLoopGroup]>([:])
}
