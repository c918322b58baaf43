import Testing
@testable import SkiffAgent

@Test func moduleLinks() {
    #expect(String(describing: SkiffAgent.self) == "SkiffAgent")
}
