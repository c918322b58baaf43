import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffPKI
import SkiffStore

/// An API server for tests, as Hummingbird's testing module gives its users one: in process on 127.0.0.1, port 0,
/// over a `MemoryStore` seeded as `skiff server` seeds it (default namespaces, RBAC bootstrap policy), with a fresh
/// cluster PKI in a temporary directory. `configure` adjusts the configuration (tokens, the node registrar…) before
/// the server starts; `services` run beside it in its service group.
public struct TestAPIServer: Sendable {
    public let port: Int
    public var url: String { "https://127.0.0.1:\(port)" }
    public let pki: ClusterPKI
    public let store: MemoryStore
    public let registry: ObjectRegistry
    public let group: ServiceGroup
    /// Finishes once the server's service group has returned.
    public let stopped: AsyncStream<Void>

    public struct NotListening: Error {}

    /// Runs the server for the duration of `body`, then shuts it down gracefully (also when `body` throws).
    /// - Parameters:
    ///   - pkiDirectory: where the cluster PKI is (made if missing); two servers given one share their CAs.
    ///   - store: the datastore; two servers given one are one cluster (seeding it twice changes nothing).
    public static func run(
        logger: Logger, pkiDirectory: String? = nil, store: MemoryStore? = nil,
        configure: (inout APIServerConfiguration, ClusterPKI) throws -> Void = { _, _ in },
        services: [any Service] = [], _ body: (TestAPIServer) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory("skiff-test-server")
        defer { directory.remove() }
        let pki = try ClusterPKI.loadOrCreate(
            directory: pkiDirectory ?? directory.file("tls"),
            sans: try ServingNames(ServingNames.kubernetesAPIDefaults))
        let store = store ?? MemoryStore()
        let registry = ObjectRegistry(store: store, logger: logger)
        try await registry.seed()
        let (ports, listening) = AsyncStream<Int>.makeStream()
        var configuration = APIServerConfiguration(
            host: "127.0.0.1", port: 0,
            servingCertificatePEM: pki.serving.certificatePEM + pki.serverCA.certificatePEM,
            servingKeyPEM: pki.serving.privateKeyPEM, clientCAPEM: pki.clientCA.certificatePEM,
            joinSecret: "join-secret", advertiseAddress: "127.0.0.1")
        try configure(&configuration, pki)
        let server = APIServer(
            configuration: configuration, registry: registry, logger: logger, onListening: { listening.yield($0) })
        let group = ServiceGroup(services: [server] + services, logger: logger)
        let (stopped, stoppedContinuation) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { stoppedContinuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NotListening() }
            do {
                try await body(
                    TestAPIServer(
                        port: port, pki: pki, store: store, registry: registry, group: group, stopped: stopped))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
