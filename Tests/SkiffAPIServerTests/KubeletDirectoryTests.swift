import SkiffModel
import Testing

@testable import SkiffAPIServer

/// The server's directory of node tunnels: a node that reconnects replaces its registration, and the older
/// session's end (which may come after the new one registered) leaves the new one in place.
struct KubeletDirectoryTests {
    struct Named: KubeletEndpoint {
        let name: String
        func serve(_ request: KubeletRequest) async -> KubeletResponse { .text(200, name) }
    }

    static func name(_ endpoint: (any KubeletEndpoint)?) async throws -> String? {
        guard let endpoint else { return nil }
        var text: [UInt8] = []
        for try await chunk in await endpoint.serve(KubeletRequest(path: "/")).body { text += chunk }
        return String(decoding: text, as: UTF8.self)
    }

    @Test func aReconnectReplacesTheOldTunnelAndTheOldOnesEndKeepsTheNewOne() async throws {
        let directory = KubeletDirectory()
        let first = directory.register(node: "edge-1", endpoint: Named(name: "first"))
        let second = directory.register(node: "edge-1", endpoint: Named(name: "second"))
        #expect(try await Self.name(directory.endpoint(for: "edge-1")) == "second")
        directory.remove(node: "edge-1", registration: first)
        #expect(try await Self.name(directory.endpoint(for: "edge-1")) == "second", "the old session's end")
        directory.remove(node: "edge-1", registration: second)
        #expect(directory.endpoint(for: "edge-1") == nil)
        #expect(directory.nodes.isEmpty)
    }
}
