import Testing
@testable import SkiffModel

@Test func moduleLinks() {
    #expect(String(describing: SkiffModel.self) == "SkiffModel")
}
