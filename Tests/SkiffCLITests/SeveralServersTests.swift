import Foundation
import Logging
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffPKI
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAgent

/// Two API servers on one datastore and one PKI (as `skiff server` on PostgreSQL forms them): an agent's requests
/// move to the live server when one dies, its join does too, it learns the servers from the `kubernetes` Endpoints
/// and keeps a tunnel to each, so either server reaches its kubelet.
@Suite(.timeLimit(.minutes(1))) struct SeveralServersTests {
    static let logger = HTTPClusterAPITests.logger

    /// Runs two servers sharing a store and a PKI for the duration of `body`.
    static func withTwoServers(
        _ body: (HTTPClusterAPITests.Server, HTTPClusterAPITests.Server) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory("skiff-two-servers")
        defer { directory.remove() }
        let store = MemoryStore()
        let (kubeletsA, kubeletsB) = (KubeletDirectory(), KubeletDirectory())
        func configure(_ kubelets: KubeletDirectory) -> (inout APIServerConfiguration, ClusterPKI) throws -> Void {
            { configuration, pki in
                let token = try NodeToken(caPEM: Array(pki.serverCA.certificatePEM.utf8), password: "shared-secret")
                configuration.joinSecret = token.password
                configuration.serverCAPEM = pki.serverCA.certificatePEM
                configuration.kubelets = kubelets
                configuration.nodeRegistrar = NodeRegistrar(clientCA: pki.clientCA, validity: SkiffPKI.leafValidity)
            }
        }
        func server(_ test: TestAPIServer, _ kubelets: KubeletDirectory) throws -> HTTPClusterAPITests.Server {
            HTTPClusterAPITests.Server(
                url: test.url,
                token: try NodeToken(caPEM: Array(test.pki.serverCA.certificatePEM.utf8), password: "shared-secret"),
                pki: test.pki, store: store, kubelets: kubelets, group: test.group, stopped: test.stopped)
        }
        try await TestAPIServer.run(
            logger: logger, pkiDirectory: directory.file("tls"), store: store, configure: configure(kubeletsA)
        ) { a in
            try await TestAPIServer.run(
                logger: logger, pkiDirectory: directory.file("tls"), store: store, configure: configure(kubeletsB)
            ) { b in
                try await body(try server(a, kubeletsA), try server(b, kubeletsB))
            }
        }
    }

    static func stop(_ server: HTTPClusterAPITests.Server) async {
        await server.group.triggerGracefulShutdown()
        for await _ in server.stopped {}
    }

    static func admin(_ servers: ServerPool, _ server: HTTPClusterAPITests.Server) throws -> HTTPClusterAPI {
        try HTTPClusterAPI(
            servers: servers, trustedCAPEM: Array(server.pki.serverCA.certificatePEM.utf8),
            credentials: HTTPClusterAPITests.adminCredentials(server), requestTimeout: .seconds(5), logger: logger)
    }

    @Test func requestsMoveToTheLiveServerWhenTheCurrentOneDies() async throws {
        try await Self.withTwoServers { a, b in
            let pool = ServerPool([a.url, b.url])
            let api = try Self.admin(pool, a)
            defer { Task { await api.shutdown() } }
            let configMaps = api.type("", "v1", "configmaps")
            _ = try await api.create(
                configMaps, namespace: "default", object: ["metadata": ["name": "before"]], fieldManager: "test")
            #expect(pool.current == a.url)
            await Self.stop(a)
            // A read is tried again on the next server at once: the caller never sees the dead one.
            let list = try await api.list(configMaps, namespace: "default", options: ListOptions())
            #expect(list.items.contains { $0.name == "before" }, "the live server serves the same datastore")
            #expect(pool.current == b.url)
            _ = try await api.create(
                configMaps, namespace: "default", object: ["metadata": ["name": "after"]], fieldManager: "test")
        }
    }

    @Test func aWriteToADeadServerFailsOnceAndTheNextGoesToTheLiveOne() async throws {
        try await Self.withTwoServers { a, b in
            await Self.stop(a)
            let pool = ServerPool([a.url, b.url])
            let api = try Self.admin(pool, b)
            defer { Task { await api.shutdown() } }
            let configMaps = api.type("", "v1", "configmaps")
            do throws(APIError) {
                _ = try await api.create(
                    configMaps, namespace: "default", object: ["metadata": ["name": "x"]], fieldManager: "test")
                Issue.record("a write to a stopped server succeeded")
            } catch {
                #expect(error.code == 503 && error.message.hasPrefix("cannot reach \(a.url)"), "\(error)")
            }
            #expect(pool.current == b.url, "the failure moved the pool on")
            _ = try await api.create(
                configMaps, namespace: "default", object: ["metadata": ["name": "x"]], fieldManager: "test")
        }
    }

    @Test func theJoinTriesTheNextServerWhenTheFirstIsDown() async throws {
        try await Self.withTwoServers { a, b in
            await Self.stop(a)
            let join = try ClusterJoin(
                servers: [a.url, b.url], token: try JoinToken(parsing: b.token.text),
                backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50)), logger: Self.logger)
            let ca = try await join.fetchCA()
            #expect(ca == Array(b.pki.serverCA.certificatePEM.utf8))
            #expect(join.server == b.url)
        }
    }

    /// The agent knows only server A; the `kubernetes` Endpoints name both; it learns B and tunnels to both, so
    /// either server reaches its kubelet — and B still does after A is gone.
    @Test func anAgentLearnsTheServersAndKeepsATunnelToEach() async throws {
        try await Self.withTwoServers { a, b in
            let admin = try Self.admin(ServerPool(a.url), a)
            defer { Task { await admin.shutdown() } }
            let portA = try #require(Int(a.url.split(separator: ":").last ?? ""))
            let portB = try #require(Int(b.url.split(separator: ":").last ?? ""))
            _ = try await admin.create(
                admin.type("", "v1", "endpoints"), namespace: "default",
                object: [
                    "metadata": ["name": "kubernetes"],
                    "subsets": [
                        ["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .int(portA)]]],
                        ["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .int(portB)]]],
                    ],
                ], fieldManager: "test")
            let join = try ClusterJoin(
                servers: [a.url], token: try JoinToken(parsing: a.token.text),
                backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50)), logger: Self.logger)
            let ca = try await join.fetchCA()
            let directory = try TemporaryDirectory("skiff-two-servers-node")
            defer { directory.remove() }
            let identity = NodeIdentity(directory: directory.path, nodeName: "edge-ha", logger: Self.logger)
            let credentials = try await identity.credentials(join: join, caPEM: ca)
            try await HTTPClusterAPI.withAPI(
                servers: join.servers, trustedCAPEM: ca, credentials: credentials, logger: Self.logger
            ) { http in
                let (_, signal) = AsyncStream<Void>.makeStream()
                let fleet = TunnelFleet(
                    pool: http.servers,
                    template: .init(
                        server: "", nodeName: "edge-ha", tls: http.tls, authorization: nil,
                        backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))),
                    endpoint: TunnelTests.FollowingKubelet(abandoned: signal), pollInterval: .milliseconds(20),
                    logger: Self.logger)
                let discovery = ServerDiscovery(api: http, interval: .milliseconds(50), logger: Self.logger)
                let running = Task {
                    async let learning: Void = discovery.run()
                    await fleet.dial()
                    try? await learning
                }
                defer { running.cancel() }
                try await TunnelTests.waitFor(a, node: "edge-ha", registered: true)
                try await TunnelTests.waitFor(b, node: "edge-ha", registered: true)
                #expect(http.servers.all == [a.url, b.url], "the configured server first, the learned one after it")
                await Self.stop(a)
                let kubelet = try #require(b.kubelets.endpoint(for: "edge-ha"))
                let response = await kubelet.serve(KubeletRequest(path: "/containerLogs/default/web/app", query: []))
                #expect(response.status == 200, "the surviving server reaches the kubelet through its own tunnel")
                var body = response.body.makeAsyncIterator()
                #expect(
                    try await body.next().map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("/containerLogs")
                        == true)
            }
        }
    }
}
