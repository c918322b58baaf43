import Testing
@testable import SkiffAPIServer

@Test func moduleLinks() {
    #expect(String(describing: SkiffAPIServer.self) == "SkiffAPIServer")
}
