import Testing
@testable import SkiffTunnel

@Test func moduleLinks() {
    #expect(String(describing: SkiffTunnel.self) == "SkiffTunnel")
}
