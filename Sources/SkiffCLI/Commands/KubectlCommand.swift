import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct KubectlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl",
        abstract: "Run the system kubectl against this server (KUBECONFIG defaults to the admin kubeconfig).")

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to kubectl.")
    var arguments: [String] = []

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let kubectl = Self.find("kubectl", path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw ValidationError("kubectl was not found in PATH; install it (apt-get install kubectl) first")
        }
        if environment["KUBECONFIG"] == nil {
            let config = environment["SKIFF_KUBECONFIG"] ?? Defaults.kubeconfig
            setenv("KUBECONFIG", config, 1)
        }
        let argv = ([kubectl] + arguments).map { strdup($0) } + [nil]
        execv(kubectl, argv)
        throw ValidationError("cannot run \(kubectl): \(String(cString: strerror(errno)))")
    }

    static func find(_ name: String, path: String) -> String? {
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
