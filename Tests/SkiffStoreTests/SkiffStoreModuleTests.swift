import Testing
@testable import SkiffStore

@Test func moduleLinks() {
    #expect(String(describing: SkiffStore.self) == "SkiffStore")
}
