import ArgumentParser

/// `skiff completion bash|zsh|fish`: the shell completion script, as `k3s completion` prints it.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a shell completion script.",
        discussion: """
            bash: skiff completion bash > /etc/bash_completion.d/skiff
            zsh:  skiff completion zsh > "${fpath[1]}/_skiff"
            fish: skiff completion fish > ~/.config/fish/completions/skiff.fish
            """)

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish

        var completionShell: CompletionShell {
            switch self {
            case .bash: .bash
            case .zsh: .zsh
            case .fish: .fish
            }
        }
    }

    @Argument(help: "The shell.")
    var shell: Shell

    func run() {
        print(SkiffCommand.completionScript(for: shell.completionShell), terminator: "")
    }
}
