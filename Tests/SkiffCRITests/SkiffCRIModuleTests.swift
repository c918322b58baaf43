import Testing
@testable import SkiffCRI

@Test func moduleLinks() {
    #expect(String(describing: SkiffCRI.self) == "SkiffCRI")
}
