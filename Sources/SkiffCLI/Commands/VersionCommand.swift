import ArgumentParser
import SkiffModel

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the skiff version.")

    func run() {
        print(SkiffVersion.description)
    }
}
