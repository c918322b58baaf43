import Foundation
import Testing

@testable import SkiffModel

struct SkiffVersionTests {
    @Test func goArchNamesAsKubernetesUsesThem() {
        #expect(SkiffVersion.goArch(machine: "x86_64") == "amd64")
        #expect(SkiffVersion.goArch(machine: "aarch64") == "arm64")
        #expect(SkiffVersion.goArch(machine: "armv7l") == "arm")
        #expect(SkiffVersion.goArch(machine: "riscv64") == "riscv64")
    }

    /// `/version` says what this build is and where it runs, not fixed strings (it said linux/amd64 on every box).
    @Test func theVersionDocumentDescribesThisBuildAndMachine() throws {
        let document = SkiffVersion.document
        #expect(document["gitVersion"].stringValue == SkiffVersion.gitVersion)
        #expect(document["minor"] == "32")
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(document["platform"].stringValue == "linux/" + SkiffVersion.goArch(machine: machine))
        // The build date is this test binary's own mtime: not in the future, not the epoch.
        let built = try #require(KubeTimestamp.date(document["buildDate"].stringValue ?? ""))
        #expect(built <= Date() && built > Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// The commit the executable records at start (its build plugin's) is what `/version` and `skiff version` say.
    @Test func theRecordedBuildIsReported() {
        SkiffVersion.recordBuild(gitCommit: "0123456789abcdef0123456789abcdef01234567", gitTreeState: "dirty")
        defer { SkiffVersion.recordBuild(gitCommit: "unknown", gitTreeState: "unknown") }
        #expect(SkiffVersion.document["gitCommit"] == "0123456789abcdef0123456789abcdef01234567")
        #expect(SkiffVersion.document["gitTreeState"] == "dirty")
        #expect(SkiffVersion.description.hasSuffix("commit 0123456789ab-dirty)"))
    }
}
