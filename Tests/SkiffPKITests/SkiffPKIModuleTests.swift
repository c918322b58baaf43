import Testing
@testable import SkiffPKI

@Test func moduleLinks() {
    #expect(String(describing: SkiffPKI.self) == "SkiffPKI")
}
