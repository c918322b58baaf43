import Testing
@testable import SkiffCLI

@Test func moduleLinks() {
    #expect(String(describing: SkiffCLI.self) == "SkiffCLI")
}
