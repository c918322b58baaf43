import ArgumentParser
import SkiffCLI

@main
extension SkiffCommand {}
