import Foundation
import Logging
import ServiceLifecycle
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffModel
import SkiffPKI
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

/// The HTTP `ClusterAPI` and the join flow against a real API server on port 0 (TLS, node token, `/cacerts`).
@Suite struct HTTPClusterAPITests {
    /// A running server: its URL, token text, PKI and store.
    struct Server {
        var url: String
        var token: NodeToken
        var pki: ClusterPKI
        var store: MemoryStore
        /// The kubelets the server reaches (agents' tunnels register here).
        var kubelets: KubeletDirectory
        var group: ServiceGroup
        /// Finishes when the server's service group has returned.
        var stopped: AsyncStream<Void>
    }

    static let logger = Logger(label: "http-client-test")

    /// Runs an API server for the duration of `body`.
    static func withServer(
        nodeCertificateValidity: TimeInterval = SkiffPKI.leafValidity, _ body: (Server) async throws -> Void
    ) async throws {
        var token: NodeToken?
        let kubelets = KubeletDirectory()
        try await TestAPIServer.run(logger: logger) { configuration, pki in
            let nodeToken = try NodeToken(caPEM: Array(pki.serverCA.certificatePEM.utf8))
            token = nodeToken
            configuration.joinSecret = nodeToken.password
            configuration.serverCAPEM = pki.serverCA.certificatePEM
            configuration.tlsShutdownTimeout = .seconds(60)
            configuration.kubelets = kubelets
            configuration.nodeRegistrar = NodeRegistrar(clientCA: pki.clientCA, validity: nodeCertificateValidity)
        } _: { server in
            try await body(
                Server(
                    url: server.url, token: try #require(token), pki: server.pki, store: server.store,
                    kubelets: kubelets, group: server.group, stopped: server.stopped))
        }
    }

    /// Runs `body` with the cluster admin's client (the admin certificate the server made).
    static func withAdmin(_ server: Server, _ body: (HTTPClusterAPI) async throws -> Void) async throws {
        try await HTTPClusterAPI.withAPI(
            server: server.url, trustedCAPEM: Array(server.pki.serverCA.certificatePEM.utf8),
            credentials: adminCredentials(server), logger: logger, body)
    }

    static func adminCredentials(_ server: Server) -> ClusterCredentials {
        .clientCertificate(
            certificatePEM: Array(server.pki.admin.certificatePEM.utf8),
            keyPEM: Array(server.pki.admin.privateKeyPEM.utf8))
    }

    static func join(_ server: Server, token: String? = nil) throws -> ClusterJoin {
        try ClusterJoin(
            server: server.url, token: try JoinToken(parsing: token ?? server.token.text),
            backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50)), logger: logger)
    }

    @Test func joinFetchesAndPinsTheServerCA() async throws {
        try await Self.withServer { server in
            let ca = try await Self.join(server).fetchCA()
            #expect(ca == Array(server.pki.serverCA.certificatePEM.utf8), "/cacerts serves the hashed bytes exactly")
            #expect(NodeToken.hashCA(pem: ca) == server.token.caHash)
        }
    }

    @Test func aTokenPinningAnotherCAIsRefused() async throws {
        try await Self.withServer { server in
            let wrong = "K10\(String(repeating: "ab", count: 32))::server:\(server.token.password)"
            await #expect {
                _ = try await Self.join(server, token: wrong).fetchCA()
            } throws: { error in
                (error as? ClientError)?.code == .caHashMismatch
            }
        }
    }

    @Test func aWrongSecretIsRefusedClearly() async throws {
        try await Self.withServer { server in
            let wrong = try Self.join(server, token: "K10\(server.token.caHash!)::server:not-the-secret")
            let ca = try await wrong.fetchCA()
            let request = try CertificateRequest(commonName: "system:node:edge-w")
            await #expect {
                _ = try await wrong.requestNodeCertificate(
                    caPEM: ca, node: "edge-w", password: "a-long-enough-password", requestPEM: request.requestPEM)
            } throws: { error in
                guard let error = error as? ClientError else { return false }
                return error.code == .unauthorized && error.message.contains("the server refused the token")
            }
        }
    }

    /// The server token only joins: presented to the API, it reads nothing (as k3s' `node` user).
    @Test func theServerTokenAloneReadsNothing() async throws {
        try await Self.withServer { server in
            let ca = try await Self.join(server).fetchCA()
            try await HTTPClusterAPI.withAPI(
                server: server.url, trustedCAPEM: ca, credentials: .bearerToken(server.token.password),
                logger: Self.logger
            ) { api in
                for resource in ["nodes", "secrets", "pods"] {
                    do throws(APIError) {
                        _ = try await api.list(api.type("", "v1", resource), namespace: nil, options: ListOptions())
                        Issue.record("the server token listed \(resource)")
                    } catch {
                        #expect(error.code == 403)
                        #expect(
                            error.message
                                == "\(resource) is forbidden: User \"node\" cannot list resource \"\(resource)\" in API group \"\" at "
                                + "the cluster scope: a join token can only request a node certificate")
                    }
                }
            }
        }
    }

    @Test func anUnreachableServerIsRetriedUntilCancelled() async throws {
        let retries = RetryCounter()
        let join = try ClusterJoin(
            server: "https://127.0.0.1:1",
            token: try JoinToken(parsing: "K10\(String(repeating: "a", count: 64))::server:x"),
            backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(20)),
            logger: Logger(label: "join") { _ in retries })
        let task = Task { try await join.fetchCA() }
        // Three logged retries prove the join went on past failures instead of giving up (10 s only stops a hang).
        for _ in 0..<1000 where retries.count < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(retries.count >= 3)
        task.cancel()
        await #expect {
            _ = try await task.value
        } throws: { error in
            (error as? ClientError)?.code == .cancelled
        }
    }

    @Test func verbsSelectorsAndErrorsOverHTTP() async throws {
        try await Self.withServer { server in
            try await Self.withAdmin(server) { api in
                let configMaps = api.type("", "v1", "configmaps")
                for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
                    let object: JSON = [
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": ["name": .string(name), "labels": ["tier": .string(tier)]], "data": ["k": "v"],
                    ]
                    let created = try await api.create(
                        configMaps, namespace: "default", object: object, fieldManager: "test")
                    #expect(created.uid != nil)
                }
                let web = try await api.list(
                    configMaps, namespace: "default", options: ListOptions(labelSelector: "tier=web"))
                #expect(web.items.compactMap(\.name).sorted() == ["a", "c"])
                #expect(web.items.allSatisfy { $0["kind"] == "ConfigMap" })
                #expect(!web.resourceVersion.isEmpty)
                let byName = try await api.list(
                    configMaps, namespace: "default", options: ListOptions(fieldSelector: "metadata.name=b"))
                #expect(byName.items.compactMap(\.name) == ["b"])

                _ = try await api.patch(
                    configMaps, namespace: "default", name: "a", patch: ["data": ["m": "1"]], patchType: .merge,
                    subresource: nil, fieldManager: "test")
                _ = try await api.patch(
                    configMaps, namespace: "default", name: "a", patch: ["data": ["s": "2"]], patchType: .strategic,
                    subresource: nil, fieldManager: "test")
                _ = try await api.patch(
                    configMaps, namespace: "default", name: "a",
                    patch: [["op": "add", "path": "/data/j", "value": "3"]], patchType: .json, subresource: nil,
                    fieldManager: "test")
                let applied = try await api.patch(
                    configMaps, namespace: "default", name: "a",
                    patch: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"], "data": ["x": "4"]],
                    patchType: .apply, subresource: nil, fieldManager: "applier")
                #expect(applied["data"] == ["k": "v", "m": "1", "s": "2", "j": "3", "x": "4"])

                var fetched = try await api.get(configMaps, namespace: "default", name: "a")
                fetched["data"] = ["only": "this"]
                let updated = try await api.update(
                    configMaps, namespace: "default", object: fetched, subresource: nil, fieldManager: "test")
                #expect(updated["data"] == ["only": "this"])

                // A stale resourceVersion is a 409 Conflict decoded from the server's Status.
                await #expect {
                    _ = try await api.update(
                        configMaps, namespace: "default", object: fetched, subresource: nil, fieldManager: "test")
                } throws: { error in
                    (error as? APIError)?.reason == "Conflict" && (error as? APIError)?.code == 409
                }

                try await api.delete(configMaps, namespace: "default", name: "b", options: ["gracePeriodSeconds": 0])
                await #expect {
                    _ = try await api.get(configMaps, namespace: "default", name: "b")
                } throws: { error in
                    guard let error = error as? APIError else { return false }
                    return error.code == 404 && error.reason == "NotFound" && error.name == "b"
                }
                await #expect {
                    _ = try await api.create(
                        configMaps, namespace: "default", object: ["metadata": ["name": "a"]], fieldManager: "t")
                } throws: { error in
                    (error as? APIError)?.reason == "AlreadyExists"
                }
            }
        }
    }

    @Test func watchStreamsEventsAndReports410ForCompactedVersions() async throws {
        try await Self.withServer { server in
            try await Self.withAdmin(server) { api in
                let configMaps = api.type("", "v1", "configmaps")
                let start = try await api.list(configMaps, namespace: "default", options: ListOptions())
                let stream = try await api.watch(
                    configMaps, namespace: "default", resourceVersion: start.resourceVersion,
                    options: ListOptions(labelSelector: "watched=yes"))
                _ = try await api.create(
                    configMaps, namespace: "default", object: ["metadata": ["name": "skip"]], fieldManager: "t")
                _ = try await api.create(
                    configMaps, namespace: "default",
                    object: ["metadata": ["name": "w", "labels": ["watched": "yes"]]],
                    fieldManager: "t")
                try await api.delete(configMaps, namespace: "default", name: "w", options: .emptyObject)
                var seen: [String] = []
                for try await event in stream {
                    seen.append("\(event.kind.rawValue) \(event.object.name ?? "")")
                    if seen.count == 2 { break }
                }
                #expect(seen == ["ADDED w", "DELETED w"])

                let current = try await server.store.currentRevision()
                _ = try await server.store.compact(upTo: current)
                let expired = try await api.watch(
                    configMaps, namespace: "default", resourceVersion: "1", options: ListOptions())
                await #expect {
                    for try await _ in expired {}
                } throws: { error in
                    (error as? APIError)?.code == 410
                }
            }
        }
    }

    @Test func simulatedNodesRunPodsThroughTheHTTPClient() async throws {
        try await Self.withServer { server in
            try await Self.withAdmin(server) { api in
                let pods = api.type("", "v1", "pods")
                let nodes = SimulatedNodes(
                    api: api, count: 2, prefix: "edge", heartbeat: .milliseconds(200), logger: Self.logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await nodes.run() }
                    var names: [String] = []
                    for _ in 0..<100 where names.count < 2 {
                        try await Task.sleep(for: .milliseconds(50))
                        names = try await api.list(api.type("", "v1", "nodes"), namespace: nil, options: ListOptions())
                            .items
                            .compactMap(\.name)
                    }
                    #expect(names.sorted() == ["edge-0", "edge-1"])
                    let pod: JSON = [
                        "metadata": ["name": "p"],
                        "spec": ["nodeName": "edge-1", "containers": [["name": "c", "image": "busybox"]]],
                    ]
                    _ = try await api.create(pods, namespace: "default", object: pod, fieldManager: "test")
                    var phase = ""
                    for _ in 0..<100 where phase != "Running" {
                        try await Task.sleep(for: .milliseconds(50))
                        phase =
                            try await api.get(pods, namespace: "default", name: "p")["status"]["phase"].stringValue
                            ?? ""
                    }
                    #expect(phase == "Running")
                    group.cancelAll()
                }
            }
        }
    }

    /// With a remote agent's informers connected (keep-alive connections, watches that are re-established at once),
    /// a graceful shutdown still completes promptly: watches end, late requests get 503 with `Connection: close`,
    /// and closing a TLS connection does not wait out the close_notify timeout.
    @Test func theServerStopsPromptlyWhileRemoteInformersAreConnected() async throws {
        try await Self.withServer { server in
            try await Self.withAdmin(server) { api in
                let informers = ["nodes", "pods", "configmaps"].map {
                    Informer(api: api, type: api.type("", "v1", $0), logger: Self.logger)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for informer in informers { group.addTask { await informer.run { _ in } } }
                    for _ in 0..<500 where !informers.allSatisfy(\.hasSynced) {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect(informers.allSatisfy { $0.hasSynced })
                    _ = try await api.create(
                        api.type("", "v1", "configmaps"), namespace: "default",
                        object: ["metadata": ["name": "busy"]], fieldManager: "test")
                    await server.group.triggerGracefulShutdown()
                    // The server's TLS close_notify timeout is 60 s here: a shutdown that waited it out (or any
                    // connection left open) would hang, and the 20 s limit catches that. No figure is asserted.
                    let stopped = await withTaskGroup(of: Bool.self) { race in
                        race.addTask {
                            for await _ in server.stopped {}
                            return true
                        }
                        race.addTask {
                            try? await Task.sleep(for: .seconds(20))
                            return false
                        }
                        defer { race.cancelAll() }
                        return await race.next() ?? false
                    }
                    #expect(stopped, "the server stopped without waiting out a TLS shutdown timeout")
                    group.cancelAll()
                }
            }
        }
    }

    /// Over HTTP the server ends each watch after the `timeoutSeconds` the client asked for; the informer then
    /// resumes from the last resourceVersion it saw instead of relisting, and misses nothing.
    @Test func anInformerResumesATimedOutWatchWithoutRelisting() async throws {
        try await Self.withServer { server in
            let http = try HTTPClusterAPI(
                server: server.url, trustedCAPEM: Array(server.pki.serverCA.certificatePEM.utf8),
                credentials: Self.adminCredentials(server), watchTimeoutSeconds: 1...1, logger: Self.logger)
            let log = Mutex<[String]>([])
            let api = InterceptingClusterAPI(base: http) { call in log.withLock { $0.append(call.description) } }
            let configMaps = api.type("", "v1", "configmaps")
            _ = try await api.create(
                configMaps, namespace: "default", object: ["metadata": ["name": "before"]], fieldManager: "test")
            let informer = Informer(api: api, type: configMaps, namespace: "default", logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run { _ in } }
                // Two server-side timeouts later the informer is on its third watch.
                for _ in 0..<300 where log.withLock({ $0 }).filter({ $0.hasPrefix("watch") }).count < 3 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                _ = try await api.create(
                    configMaps, namespace: "default", object: ["metadata": ["name": "after"]], fieldManager: "test")
                for _ in 0..<300 where informer.get("default/after") == nil {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(informer.get("default/before") != nil)
                #expect(informer.get("default/after") != nil)
                let calls = log.withLock { $0 }
                #expect(calls.filter { $0.hasPrefix("list ") }.count == 1, "\(calls)")
                #expect(calls.filter { $0.hasPrefix("watch") }.count >= 3, "\(calls)")
                group.cancelAll()
            }
            await http.shutdown()
        }
    }

    @Test func anAdminClientCertificateAuthenticates() async throws {
        try await Self.withServer { server in
            let api = try HTTPClusterAPI(
                server: server.url, trustedCAPEM: Array(server.pki.serverCA.certificatePEM.utf8),
                credentials: .clientCertificate(
                    certificatePEM: Array(server.pki.admin.certificatePEM.utf8),
                    keyPEM: Array(server.pki.admin.privateKeyPEM.utf8)),
                logger: Self.logger)
            let namespaces = try await api.list(
                api.type("", "v1", "namespaces"), namespace: nil, options: ListOptions())
            await api.shutdown()
            #expect(namespaces.items.contains { $0.name == "kube-system" })
        }
    }
}

/// Counts the join's "retrying" warnings.
private final class RetryCounter: LogHandler, @unchecked Sendable {
    private let retries = Mutex(0)
    var count: Int { retries.withLock { $0 } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        if event.level == .warning, "\(event.message)".contains("retrying") { retries.withLock { $0 += 1 } }
    }
}
