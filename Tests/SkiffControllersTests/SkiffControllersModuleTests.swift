import Testing
@testable import SkiffControllers

@Test func moduleLinks() {
    #expect(String(describing: SkiffControllers.self) == "SkiffControllers")
}
