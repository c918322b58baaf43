import ArgumentParser
import Foundation
import SkiffContainerd

/// `skiff ctr`: containerd's own `ctr` (Debian's containerd package) aimed at this node's containerd and at the
/// `k8s.io` namespace, where CRI keeps the pods' containers and images.
struct CtrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctr",
        abstract: "Run containerd's ctr against this node's containerd (namespace k8s.io unless given).",
        discussion: """
            A leading --data-dir DIR (or SKIFF_DATA_DIR) names the agent's data folder; --address/-a and \
            --namespace/-n (or CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE) override the defaults.
            """)

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to ctr.")
    var arguments: [String] = []

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") + ":/usr/bin"
        guard let ctr = Passthrough.find("ctr", path: path) else {
            throw ValidationError("ctr was not found in PATH; install it with: apt-get install containerd")
        }
        try Passthrough.exec(try Self.argv(ctr: ctr, arguments: arguments, environment: environment))
    }

    /// ctr's command line: the agent's socket and `k8s.io` first unless the arguments or the environment name
    /// them (ctr reads CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE itself); a leading `--data-dir` is skiff's.
    static func argv(ctr: String, arguments: [String], environment: [String: String]) throws -> [String] {
        var arguments = arguments
        var dataDir = environment["SKIFF_DATA_DIR"]
        if let first = arguments.first, first == "--data-dir" || first == "-d" {
            guard arguments.count >= 2 else { throw ValidationError("--data-dir needs a folder") }
            dataDir = arguments[1]
            arguments.removeFirst(2)
        } else if let first = arguments.first, first.hasPrefix("--data-dir=") {
            dataDir = String(first.dropFirst("--data-dir=".count))
            arguments.removeFirst()
        }
        // ctr's global options come before its subcommand: only those decide.
        var globals: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex, arguments[index].hasPrefix("-") {
            let word = arguments[index]
            globals.append(word)
            index += Self.valueOptions.contains(word) ? 2 : 1
        }
        func given(_ long: String, _ short: String) -> Bool {
            globals.contains { $0 == long || $0 == short || $0.hasPrefix(long + "=") || $0.hasPrefix(short + "=") }
        }
        var defaults: [String] = []
        if !given("--address", "-a"), environment["CONTAINERD_ADDRESS"] == nil {
            defaults += ["--address", ContainerdPaths(dataDir: dataDir ?? Defaults.dataDir).socket]
        }
        if !given("--namespace", "-n"), environment["CONTAINERD_NAMESPACE"] == nil {
            defaults += ["--namespace", "k8s.io"]
        }
        return [ctr] + defaults + arguments
    }

    /// ctr's global options that take a value as the next word.
    static let valueOptions: Set = ["--address", "-a", "--namespace", "-n", "--timeout", "--connect-timeout"]
}
