import ArgumentParser
import SkiffCLI
import SkiffModel

@main
enum Skiff {
    static func main() async {
        SkiffVersion.recordBuild(gitCommit: BuildInfo.gitCommit, gitTreeState: BuildInfo.gitTreeState)
        // Multicall: run as `kubectl`, `crictl` or `ctr` through a link, skiff is that subcommand.
        await SkiffCommand.main(SkiffCommand.arguments(forInvocation: CommandLine.arguments))
    }
}
