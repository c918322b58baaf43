import ArgumentParser
import SkiffCLI
import SkiffModel

@main
enum Skiff {
    static func main() async {
        SkiffVersion.recordBuild(gitCommit: BuildInfo.gitCommit, gitTreeState: BuildInfo.gitTreeState)
        await SkiffCommand.main()
    }
}
