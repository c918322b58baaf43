import ArgumentParser

/// Options every long-running mode accepts.
struct CommonOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .long], help: "Config file (default /etc/skiff/config.yaml, env SKIFF_CONFIG_FILE).")
    var config: String?

    @Option(
        name: [.customShort("d"), .long], help: "Folder to hold state (default /var/lib/skiff, env SKIFF_DATA_DIR).")
    var dataDir: String?

    @Flag(help: "Turn on debug logs (env SKIFF_DEBUG).")
    var debug = false
}
