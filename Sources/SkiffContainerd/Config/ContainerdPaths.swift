/// Where containerd lives under skiff's data dir (k3s's layout: `<data-dir>/agent/...`). Pure path arithmetic.
public struct ContainerdPaths: Sendable, Equatable {
    /// The skiff data dir, e.g. `/var/lib/skiff`.
    public var dataDir: String

    public init(dataDir: String) {
        self.dataDir = dataDir.count > 1 && dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
    }

    public var agentDir: String { "\(dataDir)/agent" }
    public var containerdDir: String { "\(agentDir)/containerd" }
    /// containerd's `root` (content, snapshots, metadata) — must differ from `state`.
    public var root: String { containerdDir }
    /// containerd's `state` (runtime sockets and bundles).
    public var state: String { "\(dataDir)/agent/run/containerd" }
    /// The gRPC socket (CRI and containerd API); containerd adds `<socket>.ttrpc` beside it. Must stay < 108 bytes.
    public var socket: String { "\(containerdDir)/containerd.sock" }
    /// runc's state dir (default `/run/containerd/runc`, which another containerd on the host would share).
    public var runcRoot: String { "\(dataDir)/agent/run/runc" }
    public var optDir: String { "\(containerdDir)/opt" }
    public var configDir: String { "\(agentDir)/etc/containerd" }
    public var configFile: String { "\(configDir)/config.toml" }
    public var cniConfDir: String { "\(agentDir)/etc/cni/net.d" }
    /// The CRI registry plugin's `config_path`: one `<registry>/hosts.toml` per registry (from registries.yaml).
    public var certsDir: String { "\(configDir)/certs.d" }
    /// Image archives imported at start and whenever they change (airgap).
    public var imagesDir: String { "\(agentDir)/images" }
    public var logFile: String { "\(containerdDir)/containerd.log" }
}
