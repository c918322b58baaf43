/// What goes into containerd's `config.toml`; `render()` is pure so the file is tested without containerd.
public struct ContainerdConfig: Sendable, Equatable {
    public var paths: ContainerdPaths
    /// The pause image; airgap archives carry it so no registry is needed.
    public var sandboxImage: String
    /// Port of the exec/attach/port-forward stream server on 127.0.0.1; 0 lets containerd pick one.
    public var streamServerPort: Int
    /// Directory of the CNI plugin binaries (Debian's containernetworking-plugins installs them in `/usr/lib/cni`).
    public var cniBinDir: String
    /// containerd's log level (`info`, `debug`, …).
    public var logLevel: String
    /// Mirrors and registry settings (registries.yaml): the hosts files go into `paths.certsDir`, the credentials
    /// into this file.
    public var registries: RegistriesConfig

    public init(
        paths: ContainerdPaths, sandboxImage: String = "registry.k8s.io/pause:3.10", streamServerPort: Int = 0,
        cniBinDir: String = "/usr/lib/cni", logLevel: String = "info", registries: RegistriesConfig = RegistriesConfig()
    ) {
        self.paths = paths
        self.sandboxImage = sandboxImage
        self.streamServerPort = streamServerPort
        self.cniBinDir = cniBinDir
        self.logLevel = logLevel
        self.registries = registries
    }

    /// Plugins containerd 1.6 would otherwise try (and log failures for) on every start. The v1 linux runtime must
    /// stay: disabling it takes the tasks service, and with it the CRI plugin, down.
    static let disabledPlugins = [
        "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
        "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
        "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
    ]

    /// The TOML text (config version 2, containerd 1.6).
    public func render() -> String {
        let cri = "plugins.\"io.containerd.grpc.v1.cri\""
        let disabled = Self.disabledPlugins.map(quoted).joined(separator: ", ")
        // restrict_oom_score_adj: CRI asks for oom_score_adj -998 for the sandbox; without CAP_SYS_RESOURCE runc then
        // fails ("can't get final child's PID from pipe"), so clamp to containerd's own score.
        // SystemdCgroup=false: skiff uses the cgroupfs driver (no systemd as PID 1 is assumed).
        return """
            # Written by skiff on every start; edits are overwritten.
            version = 2
            root = \(quoted(paths.root))
            state = \(quoted(paths.state))
            disabled_plugins = [\(disabled)]

            [grpc]
              address = \(quoted(paths.socket))

            [debug]
              level = \(quoted(logLevel))

            [plugins]
              [plugins."io.containerd.internal.v1.opt"]
                path = \(quoted(paths.optDir))
              [\(cri)]
                sandbox_image = \(quoted(sandboxImage))
                stream_server_address = "127.0.0.1"
                stream_server_port = \(quoted(String(streamServerPort)))
                enable_tls_streaming = false
                disable_tcp_service = true
                disable_apparmor = true
                restrict_oom_score_adj = true
                max_container_log_line_size = 16384
                [\(cri).containerd]
                  snapshotter = "overlayfs"
                  default_runtime_name = "runc"
                  [\(cri).containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [\(cri).containerd.runtimes.runc.options]
                      Root = \(quoted(paths.runcRoot))
                      SystemdCgroup = false
                [\(cri).cni]
                  bin_dir = \(quoted(cniBinDir))
                  conf_dir = \(quoted(paths.cniConfDir))
                  max_conf_num = 1
                [\(cri).registry]
                  config_path = \(quoted(paths.certsDir))
            \(registryAuth(cri))
            """
    }

    /// `registry.configs."<host>".auth` tables: containerd 1.6's hosts files cannot hold credentials, and it reads
    /// these by the host it talks to even with `config_path` set (only `configs.tls` and `mirrors` conflict with
    /// it). Docker Hub's credentials are filed under its API host too, which is the host containerd asks for.
    func registryAuth(_ cri: String) -> String {
        var tables: [(host: String, auth: RegistriesConfig.Auth)] = []
        for (host, config) in registries.configs.sorted(by: { $0.key < $1.key }) {
            guard let auth = config.auth else { continue }
            tables.append((host, auth))
            if host == "docker.io" && registries.configs["registry-1.docker.io"]?.auth == nil {
                tables.append(("registry-1.docker.io", auth))
            }
        }
        var lines: [String] = []
        for (host, auth) in tables {
            lines.append("    [\(cri).registry.configs.\(quoted(host)).auth]")
            for (key, value) in [
                ("username", auth.username), ("password", auth.password), ("auth", auth.auth),
                ("identitytoken", auth.identityToken),
            ] where !value.isEmpty {
                lines.append("      \(key) = \(quoted(value))")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// A TOML basic string.
    func quoted(_ value: String) -> String { TOMLString.quoted(value) }
}
