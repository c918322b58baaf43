import SkiffModel
import Synchronization
import Testing

@testable import SkiffTunnel

/// A kubelet endpoint for tests: answers every request with the request line, then the given chunks, then — when
/// `follow` is set — waits until its reader goes away, which it reports.
struct EchoKubelet: KubeletEndpoint {
    var chunks: [[UInt8]] = []
    /// Yields once when a followed body's reader went away.
    let abandoned: AsyncStream<Void>.Continuation

    func serve(_ request: KubeletRequest) async -> KubeletResponse {
        let line =
            "\(request.method) \(request.path) \(request.query.map { "\($0.name)=\($0.value)" }.joined(separator: ","))\n"
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.yield(Array(line.utf8))
        for chunk in chunks { continuation.yield(chunk) }
        if request.value("follow") == "true" {
            let abandoned = abandoned
            continuation.onTermination = { _ in abandoned.yield() }
        } else {
            continuation.finish()
        }
        return KubeletResponse(status: 200, contentType: "text/plain", body: body)
    }
}

/// Two sessions joined in process, the agent's side answering with `endpoint`; runs `body` with the server's
/// kubelet endpoint, then ends both sides.
func withTunnel(
    _ endpoint: any KubeletEndpoint, _ body: (TunnelKubeletEndpoint, TunnelSession, TunnelSession) async throws -> Void
) async throws {
    let loopback = LoopbackTunnel()
    let listener = TunnelSession(side: .listener)
    let dialer = TunnelSession(side: .dialer)
    try await withThrowingTaskGroup { group in
        group.addTask { try await loopback.serve(listener, accept: { $0.reset() }) }
        group.addTask { try await loopback.serve(dialer, accept: { await KubeletTunnel.answer($0, with: endpoint) }) }
        try await body(TunnelKubeletEndpoint(session: listener, node: "edge-1"), listener, dialer)
        dialer.end(TunnelStreamError("test over"))
        listener.end(TunnelStreamError("test over"))
        try await group.waitForAll()
    }
}

func collect(_ body: AsyncThrowingStream<[UInt8], any Error>) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in body { bytes += chunk }
    return bytes
}

@Suite(.timeLimit(.minutes(1))) struct TunnelSessionTests {
    @Test func aKubeletRequestCrossesTheTunnelWithItsQueryAndItsWholeBody() async throws {
        // Three megabytes: many times the 256 KiB stream window, so the answer only arrives whole if credit flows
        // back as the server reads.
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let (abandoned, signal) = AsyncStream<Void>.makeStream()
        try await withTunnel(EchoKubelet(chunks: [big], abandoned: signal)) { kubelet, listener, _ in
            let response = await kubelet.serve(
                KubeletRequest(
                    path: "/containerLogs/default/web/app",
                    query: [("podUID", "1234-ab"), ("sinceTime", "2026-12-06T09:00:00Z"), ("tailLines", "10 & more")]))
            #expect(response.status == 200)
            #expect(response.contentType == "text/plain")
            let bytes = try await collect(response.body)
            let line = Array(
                "GET /containerLogs/default/web/app podUID=1234-ab,sinceTime=2026-12-06T09:00:00Z,tailLines=10 & more\n"
                    .utf8)
            #expect(Array(bytes.prefix(line.count)) == line)
            #expect(bytes.count == line.count + big.count)
            #expect(Array(bytes.dropFirst(line.count)) == big)
            // Both sides closed: the stream is gone from the server's session.
            while listener.streamCount > 0 { await Task.yield() }
        }
        _ = abandoned
    }

    /// `kubectl logs -f` whose client leaves: the server's reader goes away, the stream is reset, and the agent's
    /// endpoint stops producing (a quiet followed log would otherwise be held open forever).
    @Test func aReaderThatGoesAwayStopsTheAgentsFollowedBody() async throws {
        let (abandoned, signal) = AsyncStream<Void>.makeStream()
        try await withTunnel(EchoKubelet(abandoned: signal)) { kubelet, listener, dialer in
            let response = await kubelet.serve(
                KubeletRequest(path: "/containerLogs/default/web/app", query: [("follow", "true")]))
            let (firstChunk, gotFirst) = AsyncStream<String>.makeStream()
            let reader = Task {
                var iterator = response.body.makeAsyncIterator()
                let first = try await iterator.next()
                gotFirst.yield(first.map { String(decoding: $0, as: UTF8.self) } ?? "")
                _ = try await iterator.next()  // waits: the log is quiet
            }
            var chunks = firstChunk.makeAsyncIterator()
            #expect(await chunks.next() == "GET /containerLogs/default/web/app follow=true\n")
            #expect(listener.streamCount == 1 && dialer.streamCount == 1)
            reader.cancel()
            _ = await reader.result
            var iterator = abandoned.makeAsyncIterator()
            await iterator.next()
            while listener.streamCount > 0 || dialer.streamCount > 0 { await Task.yield() }
        }
    }

    @Test func aClosedTunnelAnswers503AndFailsTheStreamsInFlight() async throws {
        let (_, signal) = AsyncStream<Void>.makeStream()
        try await withTunnel(EchoKubelet(abandoned: signal)) { kubelet, listener, dialer in
            let response = await kubelet.serve(
                KubeletRequest(path: "/containerLogs/default/web/app", query: [("follow", "true")]))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            dialer.end(TunnelStreamError("the agent went away"))
            await #expect(throws: TunnelStreamError.self) { _ = try await iterator.next() }
            while !listener.hasEnded { await Task.yield() }
            let refused = await kubelet.serve(KubeletRequest(path: "/containerLogs/default/web/app"))
            #expect(refused.status == 503)
            let message = String(decoding: try await collect(refused.body), as: UTF8.self)
            #expect(message.hasPrefix("the tunnel to node \"edge-1\" is closed"))
        }
    }

    @Test func kubeletTargetsRoundTripAndRefuseOtherTargets() {
        let request = KubeletRequest(
            method: "POST", path: "/exec/default/web/app",
            query: [("command", "sh"), ("command", "-c"), ("command", "echo a=b&c d"), ("stdin", "1")])
        let target = KubeletTunnel.target(for: request)
        #expect(
            target == "kubelet POST /exec/default/web/app?command=sh&command=-c&command=echo%20a%3Db%26c%20d&stdin=1")
        #expect(KubeletTunnel.request(target: target) == request)
        #expect(
            KubeletTunnel.request(target: "kubelet GET /containerLogs/a/b/c")
                == KubeletRequest(path: "/containerLogs/a/b/c"))
        #expect(KubeletTunnel.request(target: "exec GET /x") == nil)
        #expect(KubeletTunnel.request(target: "kubelet GET relative") == nil)
        #expect(KubeletTunnel.request(target: "kubelet GET /x?bad=%zz") == nil)
    }
}
