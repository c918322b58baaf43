import Testing
@testable import SkiffClient

@Test func moduleLinks() {
    #expect(String(describing: SkiffClient.self) == "SkiffClient")
}
