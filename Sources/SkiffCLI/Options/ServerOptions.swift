import ArgumentParser

/// Flags of `skiff server`; names follow k3s so its users feel at home.
struct ServerOptions: ParsableArguments {
    @Option(help: "HTTPS listen port (default 6443).")
    var httpsListenPort: Int?

    @Option(help: "Address to bind the API server to (default 0.0.0.0).")
    var bindAddress: String?

    @Option(help: "Address advertised to agents (default: the node IP).")
    var advertiseAddress: String?

    @Option(help: "Additional hostnames or IPs as Subject Alternative Names in the serving certificate (repeatable).")
    var tlsSan: [String] = []

    @Option(name: [.customShort("o"), .long], help: "Write the admin kubeconfig here (default /etc/skiff/skiff.yaml).")
    var writeKubeconfig: String?

    @Option(help: "Mode of the written kubeconfig, octal (default 0600).")
    var writeKubeconfigMode: String?

    @Option(name: [.customShort("t"), .long], help: "Shared secret used to join agents (default: generated).")
    var token: String?

    @Option(help: "File holding the shared secret.")
    var tokenFile: String?

    @Flag(help: "Do not run the embedded agent.")
    var disableAgent = false

    @Option(help: "Pod network CIDR (default 10.42.0.0/16).")
    var clusterCidr: String?

    @Option(help: "Service network CIDR (default 10.43.0.0/16).")
    var serviceCidr: String?

    @Option(help: "Cluster DNS service IP (default 10.43.0.10).")
    var clusterDns: String?

    @Option(
        help:
            "Datastore: empty for the embedded SQLite (default), or postgres://user:password@host:port/database?sslmode=…."
    )
    var datastoreEndpoint: String?

    @Option(help: "CA file to verify the PostgreSQL server's certificate (sslmode=verify-ca or verify-full).")
    var datastoreCafile: String?

    @Option(help: "Client certificate file for PostgreSQL.")
    var datastoreCertfile: String?

    @Option(help: "Client key file for PostgreSQL.")
    var datastoreKeyfile: String?

    @Option(help: "Time without heartbeat before a node is marked NotReady (default 40s).")
    var nodeMonitorGracePeriod: String?

    @Option(
        help: ArgumentHelp(
            "Whether requests without credentials may read /healthz, /livez, /readyz and /version (default true).",
            valueName: "true|false"))
    var anonymousAuth: Bool?

    @Option(
        help: ArgumentHelp(
            "Pod Security level for namespaces without pod-security.kubernetes.io labels (default privileged).",
            valueName: "privileged|baseline|restricted"))
    var podSecurityDefaultLevel: String?

    @Option(help: "Write an audit log (audit.k8s.io/v1 Events, one JSON per line, Metadata level) to this file.")
    var auditLogPath: String?

    @Option(help: "Rotate the audit log when it reaches this many megabytes (default 100).")
    var auditLogMaxsize: Int?

    @Option(help: "How many rotated audit logs to keep (default 10).")
    var auditLogMaxbackup: Int?

    @Option(help: "When to take scheduled snapshots of the datastore, in cron format (default \"0 */12 * * *\").")
    var snapshotScheduleCron: String?

    @Option(help: "How many scheduled snapshots to keep (default 5).")
    var snapshotRetention: Int?

    @Option(help: "Folder of the snapshots (default <data-dir>/server/db/snapshots).")
    var snapshotDir: String?

    @Flag(help: "Take no scheduled snapshots.")
    var disableSnapshots = false

    /// For tests of renewal: how long the node certificates issued at join are valid (default one year).
    @Option(help: .hidden)
    var nodeCertificateLifetime: String?

    /// For tests of renewal: how long the server's own serving and admin certificates are valid (default one year).
    @Option(help: .hidden)
    var serverCertificateLifetime: String?
}
