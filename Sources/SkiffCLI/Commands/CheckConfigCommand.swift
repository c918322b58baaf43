import ArgumentParser
import Foundation

/// `skiff check-config`: whether this machine can run a node, one line a check, with the fix for each failure (k3s'
/// check-config.sh, reduced to what skiff's agent needs). Exits 1 when a required check fails.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check that this machine's kernel and tools can run a skiff node.")

    /// For tests: read /proc, /sys, /lib/modules and the executables under this folder instead of /.
    @Option(help: .hidden)
    var root: String?

    func run() throws {
        let root = root ?? ProcessInfo.processInfo.environment["SKIFF_CHECK_CONFIG_ROOT"] ?? ""
        let checks = HostCheck.all(HostFileFacts(root: root.hasSuffix("/") ? String(root.dropLast()) : root))
        for check in checks {
            for line in check.lines { print(line) }
        }
        let failed = checks.filter { $0.verdict == .fail }.count
        if failed > 0 {
            print("\(failed) required check\(failed == 1 ? "" : "s") failed")
            throw ExitCode.failure
        }
        print("all required checks passed")
    }
}
