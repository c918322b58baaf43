import ArgumentParser

/// `skiff`: the root command; every mode of the single binary is a subcommand.
public struct SkiffCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff",
        abstract: "A lightweight, single-binary Kubernetes distribution for small edge machines.",
        version: SkiffVersion.description,
        subcommands: [
            ServerCommand.self, AgentCommand.self, KubectlCommand.self, SnapshotCommand.self, VersionCommand.self,
            DebugCommand.self,
        ]
    )

    public init() {}
}

/// Build and API version facts reported by `skiff version` and the API server's `/version`.
public enum SkiffVersion {
    public static let skiff = "v0.1.0"
    /// The Kubernetes release whose API skiff serves; kubectl dispatches on this minor version.
    public static let kubernetesMajor = "1"
    public static let kubernetesMinor = "32"
    public static let kubernetes = "v1.32.4"
    public static var gitVersion: String { "\(kubernetes)+skiff-\(skiff)" }
    public static var description: String { "skiff version \(skiff) (Kubernetes \(kubernetes))" }
}
