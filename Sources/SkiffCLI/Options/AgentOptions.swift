import ArgumentParser

/// Flags of `skiff agent`, also accepted by `skiff server` for its embedded agent.
struct AgentOptions: ParsableArguments {
    @Option(
        name: [.customShort("s"), .long],
        help: """
            Server to connect to, https://HOST:6443; several servers of one cluster separated by commas \
            (more are learned from the kubernetes Endpoints) (env SKIFF_URL).
            """)
    var server: String?

    @Option(help: "Node name (default: hostname).")
    var nodeName: String?

    @Option(help: "IP address to advertise for the node.")
    var nodeIp: String?

    @Option(help: "Label to register the node with, key=value (repeatable).")
    var nodeLabel: [String] = []

    @Option(help: "Taint to register the node with, key=value:Effect (repeatable).")
    var nodeTaint: [String] = []

    @Option(help: "Use an existing CRI socket instead of starting containerd.")
    var containerRuntimeEndpoint: String?

    @Option(help: "Sandbox (pause) image.")
    var pauseImage: String?

    @Flag(
        help: """
            Register the node as autonomous (node.skiff.io/autonomy=true): while the server cannot reach it, its pods \
            are not evicted, and it runs them from its local cache.
            """)
    var autonomous = false

    @Option(
        help: """
            Resolver file whose nameservers the node's cluster DNS forwards other names to (default /etc/resolv.conf);             pods with dnsPolicy Default get it too.
            """)
    var resolvConf: String?

    @Option(
        help: """
            Registry mirrors, credentials and TLS in k3s' registries.yaml shape (default /etc/skiff/registries.yaml \
            when it exists).
            """)
    var privateRegistry: String?

    @Option(help: "Register this many simulated nodes that run no containers (for tests and benchmarks).")
    var simulate: Int?
}

/// The join secret, shared by server and agent option sets.
struct TokenOptions: ParsableArguments {
    @Option(name: [.customShort("t"), .long], help: "Join token (K10…::server:secret) (env SKIFF_TOKEN).")
    var token: String?

    @Option(help: "File holding the join token (env SKIFF_TOKEN_FILE).")
    var tokenFile: String?
}
