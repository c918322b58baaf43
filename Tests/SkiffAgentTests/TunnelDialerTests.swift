import NIOSSL
import SkiffClient
import Testing

@testable import SkiffAgent

/// Where the agent's tunnel dials, and the name its TLS checks: SNI cannot carry an IP address, so a server named by
/// IP is checked as `kubernetes` (in every skiff serving certificate).
struct TunnelDialerTests {
    static func configuration(_ server: String) -> TunnelDialer.Configuration {
        .init(server: server, nodeName: "edge-1", tls: ClientTLS(.makeClientConfiguration()), authorization: nil)
    }

    @Test(arguments: [
        ("https://198.18.77.1:6443", "198.18.77.1", 6443, "kubernetes"),
        ("https://198.18.77.1:6443/", "198.18.77.1", 6443, "kubernetes"),
        ("https://[fd00::1]:6443", "fd00::1", 6443, "kubernetes"),
        ("https://server.example:7443", "server.example", 7443, "server.example"),
        ("https://server.example", "server.example", 443, "server.example"),
    ])
    func theServerURLGivesTheAddressAndTheNameToCheck(_ url: String, _ host: String, _ port: Int, _ name: String) {
        let configuration = Self.configuration(url)
        #expect(configuration.address.host == host)
        #expect(configuration.address.port == port)
        #expect(configuration.serverName == name)
    }
}
