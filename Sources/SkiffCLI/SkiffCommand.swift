import ArgumentParser
import SkiffModel

/// `skiff`: the root command; every mode of the single binary is a subcommand.
public struct SkiffCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff",
        abstract: "A lightweight, single-binary Kubernetes distribution for small edge machines.",
        version: SkiffVersion.description,
        subcommands: [
            ServerCommand.self, AgentCommand.self, TokenCommand.self, KubectlCommand.self, SnapshotCommand.self,
            DatastoreCommand.self,
            VersionCommand.self,
            DebugCommand.self,
            CrictlCommand.self, CtrCommand.self, CheckConfigCommand.self, CompletionCommand.self,
        ]
    )

    public init() {}
}
