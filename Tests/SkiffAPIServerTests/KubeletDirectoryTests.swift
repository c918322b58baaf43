import SkiffTunnel
import Testing

@testable import SkiffAPIServer

/// The server's directory of node tunnels: a node that reconnects replaces its registration, and the older
/// session's end (which may come after the new one registered) leaves the new one in place.
struct KubeletDirectoryTests {
    /// A tunnel endpoint told apart by the name it carries.
    static func named(_ name: String) -> TunnelKubeletEndpoint {
        TunnelKubeletEndpoint(session: TunnelSession(side: .listener), node: name)
    }

    static func name(_ endpoint: TunnelKubeletEndpoint?) -> String? { endpoint?.node }

    @Test func aReconnectReplacesTheOldTunnelAndTheOldOnesEndKeepsTheNewOne() {
        let directory = KubeletDirectory()
        let first = directory.register(node: "edge-1", endpoint: Self.named("first"))
        let second = directory.register(node: "edge-1", endpoint: Self.named("second"))
        #expect(Self.name(directory.endpoint(for: "edge-1")) == "second")
        directory.remove(node: "edge-1", registration: first)
        #expect(Self.name(directory.endpoint(for: "edge-1")) == "second", "the old session's end")
        directory.remove(node: "edge-1", registration: second)
        #expect(directory.endpoint(for: "edge-1") == nil)
        #expect(directory.nodes.isEmpty)
    }
}
