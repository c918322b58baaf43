import Logging
import SkiffAgent
import SkiffModel
import SkiffTesting
import SkiffTunnel
import Testing

/// Exec and attach sessions that cannot start end with a Status on channel 3, as kubelet's do, so kubectl prints
/// the reason instead of hanging.
@Suite(.timeLimit(.minutes(1))) struct KubeletSessionTests {
    /// Opens `request` as a session through an in-process tunnel to a kubelet on `runtime`; returns the records the
    /// kubelet sent before it closed the stream.
    static func session(_ request: KubeletRequest, runtime: FakeContainerRuntime) async throws -> [(UInt8, [UInt8])] {
        let kubelet = KubeletServer(podLogDirectory: "/nonexistent", runtime: runtime, logger: Logger(label: "test"))
        let loopback = LoopbackTunnel()
        let (listener, dialer) = (TunnelSession(side: .listener), TunnelSession(side: .dialer))
        return try await withThrowingTaskGroup { group in
            group.addTask { try await loopback.serve(listener, accept: { $0.reset() }) }
            group.addTask {
                try await loopback.serve(dialer, accept: { await KubeletTunnel.answer($0, with: kubelet) })
            }
            let stream = try TunnelKubeletEndpoint(session: listener, node: "edge-1").openSession(request)
            var decoder = StreamChannels.Decoder()
            var records: [(UInt8, [UInt8])] = []
            for try await chunk in stream { records += try decoder.feed(chunk).map { ($0.channel, $0.payload) } }
            stream.close()
            listener.end(TunnelStreamError("test over"))
            dialer.end(TunnelStreamError("test over"))
            try await group.waitForAll()
            return records
        }
    }

    static func status(_ records: [(UInt8, [UInt8])]) throws -> JSON {
        let record = try #require(records.last { $0.0 == 3 })
        return try JSONParser().parse(record.1).value
    }

    @Test func anExecIntoAContainerThatIsNotRunningEndsWithANotFoundStatus() async throws {
        let records = try await Self.session(
            KubeletRequest(
                method: "POST", path: "/exec/default/web/app",
                query: [("command", "sh"), ("stdin", "1"), ("stdout", "1"), ("tty", "1")]),
            runtime: FakeContainerRuntime())
        let status = try Self.status(records)
        #expect(status["status"] == "Failure")
        #expect(status["reason"] == "NotFound")
        #expect(status["code"] == 404)
        #expect(status["message"] == "container \"app\" in pod \"web\" is not running")
        #expect(records.allSatisfy { $0.0 == 3 }, "nothing but the status")
    }

    @Test func aSessionTheKubeletDoesNotServeEndsWithANotFoundStatus() async throws {
        let records = try await Self.session(
            KubeletRequest(method: "POST", path: "/exec/default/web"), runtime: FakeContainerRuntime())
        let status = try Self.status(records)
        #expect(status["reason"] == "NotFound")
        #expect(status["message"] == "no session at /exec/default/web")
    }
}
