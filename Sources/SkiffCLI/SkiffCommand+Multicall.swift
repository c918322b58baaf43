extension SkiffCommand {
    /// The tools skiff stands in for when run through a link of that name (`kubectl` → `skiff kubectl`), as k3s'
    /// install script links them.
    public static let multicallNames: Set = ["kubectl", "crictl", "ctr"]

    /// The arguments to parse for a process started as `argv`: through a link named after a tool, that tool's
    /// subcommand followed by the arguments; otherwise the arguments after the program name.
    public static func arguments(forInvocation argv: [String]) -> [String] {
        let name = argv.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? ""
        if multicallNames.contains(name) { return [name] + argv.dropFirst() }
        return Array(argv.dropFirst())
    }
}
