import Logging
import NIOSSL
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffModel
import SkiffTunnel
import Synchronization
import Testing

/// The reverse tunnel end to end on loopback: `TunnelDialer` against a real API server (TLS, a node's certificate, the
/// WebSocket upgrade on `/v1-skiff/connect`), the server reaching the agent's kubelet only through it.
@Suite(.timeLimit(.minutes(2))) struct TunnelTests {
    /// Answers `/containerLogs` with the request's query, then follows until its reader goes away.
    struct FollowingKubelet: KubeletEndpoint {
        let abandoned: AsyncStream<Void>.Continuation

        func serve(_ request: KubeletRequest) async -> KubeletResponse {
            let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            continuation.yield(Array("\(request.path) tailLines=\(request.value("tailLines") ?? "-")\n".utf8))
            let abandoned = abandoned
            continuation.onTermination = { _ in abandoned.yield() }
            return KubeletResponse(status: 200, body: body)
        }
    }

    static func dialer(
        _ server: HTTPClusterAPITests.Server, api: HTTPClusterAPI, node: String, kubelet: any KubeletEndpoint
    )
        -> TunnelDialer
    {
        TunnelDialer(
            configuration: .init(
                server: server.url, nodeName: node, tls: api.tls, authorization: api.authorization,
                backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))),
            endpoint: kubelet, logger: HTTPClusterAPITests.logger)
    }

    /// Waits until the server has (or no longer has) a kubelet for `node`.
    static func waitFor(_ server: HTTPClusterAPITests.Server, node: String, registered: Bool) async throws {
        while (server.kubelets.endpoint(for: node) != nil) != registered {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func theServerReachesTheAgentsKubeletThroughItsTunnelOnly() async throws {
        try await HTTPClusterAPITests.withServer { server in
            try await NodeCertificateTests.asNode(server, "edge-1") { api in
                let (abandoned, signal) = AsyncStream<Void>.makeStream()
                let dialer = Self.dialer(server, api: api, node: "edge-1", kubelet: FollowingKubelet(abandoned: signal))
                let dialing = Task { await dialer.dial() }
                try await Self.waitFor(server, node: "edge-1", registered: true)
                let kubelet = try #require(server.kubelets.endpoint(for: "edge-1"))

                let response = await kubelet.serve(
                    KubeletRequest(path: "/containerLogs/default/web/app", query: [("tailLines", "10")]))
                #expect(response.status == 200)
                var body = response.body.makeAsyncIterator()
                let first = try await body.next()
                #expect(
                    first.map { String(decoding: $0, as: UTF8.self) } == "/containerLogs/default/web/app tailLines=10\n"
                )

                // The agent goes away: the server forgets its kubelet, and the followed body in flight fails.
                dialing.cancel()
                await dialing.value
                try await Self.waitFor(server, node: "edge-1", registered: false)
                let afterLoss: Result<[UInt8]?, any Error> = await { () async -> Result<[UInt8]?, any Error> in
                    do { return .success(try await body.next()) } catch { return .failure(error) }
                }()
                #expect(throws: (any Error).self) { try afterLoss.get() }
                var abandonedIterator = abandoned.makeAsyncIterator()
                await abandonedIterator.next()  // and the agent's endpoint stopped producing
            }
        }
    }

    @Test func aTunnelWithoutNodeCredentialsIsRefused() async throws {
        try await HTTPClusterAPITests.withServer { server in
            let ca = try await HTTPClusterAPITests.join(server).fetchCA()
            let (_, signal) = AsyncStream<Void>.makeStream()
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            // A wrong secret, and the right server token: neither is a node's certificate.
            for secret in ["wrong", server.token.password] {
                let refused = TunnelDialer(
                    configuration: .init(
                        server: server.url, nodeName: "edge-2",
                        tls: ClientTLS(tls),
                        authorization: "Bearer \(secret)"),
                    endpoint: FollowingKubelet(abandoned: signal), logger: HTTPClusterAPITests.logger)
                #expect(await refused.dialOnce() == .refused)
            }
            #expect(server.kubelets.endpoint(for: "edge-2") == nil)
        }
    }
}
