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
        guard let kubectl = Passthrough.find("kubectl", path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        else {
            throw ValidationError("kubectl was not found in PATH; install it (apt-get install kubectl) first")
        }
        if environment["KUBECONFIG"] == nil {
            let config = environment["SKIFF_KUBECONFIG"] ?? Defaults.kubeconfig
            setenv("KUBECONFIG", config, 1)
        }
        try Passthrough.exec([kubectl] + arguments)
    }
}
