import Foundation
import SkiffAPIServer
import SkiffAgent
import SkiffContainerd
import SkiffModel
import SkiffPostgresStore

/// Everything `skiff server` needs, resolved from flags, environment and config file, validated, and immutable from
/// then on (k3s' normalize-before-start habit).
public struct ServerConfig: Sendable, Equatable {
    public var dataDir: String
    public var httpsListenPort: Int
    public var bindAddress: String
    public var advertiseAddress: String?
    public var tlsSANs: [String]
    public var kubeconfigPath: String
    public var kubeconfigMode: Int
    public var token: String?
    public var disableAgent: Bool
    public var clusterCIDR: String
    public var serviceCIDR: String
    public var clusterDNS: String
    public var datastoreEndpoint: String?
    /// Where the objects are kept: the embedded SQLite file (default) or PostgreSQL.
    public var datastore = Datastore.sqlite
    public var nodeMonitorGracePeriod: Duration
    /// How long issued node certificates are valid (a hidden flag, for tests of renewal).
    public var nodeCertificateLifetime: Duration? = nil
    /// How long the server's serving and admin certificates are valid (a hidden flag, for tests of renewal).
    public var serverCertificateLifetime: Duration? = nil
    /// Whether anonymous requests may read the public health and version paths.
    public var anonymousAuth = true
    /// The Pod Security level of namespaces without labels.
    public var podSecurityDefaultLevel = PodSecurityLevel.privileged
    /// Where the audit log goes; nil writes none.
    public var auditLog: AuditLogSettings? = nil
    public var debug: Bool
    public var agent: AgentConfig
    public var configFile: String?
    /// Scheduled snapshots; nil with `--disable-snapshots`.
    public var snapshots: SnapshotSettings? = nil

    /// `<data-dir>/server/db/state.db`, where k3s users look for it.
    public var databasePath: String { "\(dataDir)/server/db/state.db" }
    public var serverDirectory: String { "\(dataDir)/server" }
}

/// The datastore `--datastore-endpoint` selects.
public enum Datastore: Sendable, Equatable {
    /// `<data-dir>/server/db/state.db` (empty endpoint, or `sqlite://`).
    case sqlite
    /// `postgres://user:password@host:port/database?sslmode=…` (or a unix socket: `?host=/run/postgresql`).
    case postgres(PostgresEndpoint)
}

/// When and where scheduled snapshots go, and how many are kept.
public struct SnapshotSettings: Sendable, Equatable {
    public var schedule: CronSchedule
    public var retention: Int
    public var directory: String

    static let defaultSchedule = "0 */12 * * *"
    static let defaultRetention = 5

    static func directory(dataDir: String) -> String { "\(dataDir)/server/db/snapshots" }
}

/// Settings of a (standalone or embedded) agent.
public struct AgentConfig: Sendable, Equatable {
    public var dataDir: String
    /// `--server`: one URL or several, comma-separated.
    public var serverURL: String?
    public var token: String?
    public var nodeName: String
    public var nodeIP: String?
    public var nodeLabels: [String]
    public var nodeTaints: [String]
    public var containerRuntimeEndpoint: String?
    public var pauseImage: String
    public var simulate: Int?
    public var debug: Bool
    /// Registers the node with `node.skiff.io/autonomy: "true"`: its pods stay bound while it is unreachable.
    public var autonomous = false
    /// Where the node's cluster DNS finds its upstream resolvers, and dnsPolicy Default pods their resolv.conf.
    public var resolvConf = "/etc/resolv.conf"
    /// Mirrors and registry settings for the node's containerd (`--private-registry`); empty for simulated nodes.
    public var registries = RegistriesConfig()
}

enum Defaults {
    static var dataDir: String {
        getuid() == 0 ? "/var/lib/skiff" : (ProcessInfo.processInfo.environment["HOME"] ?? "/tmp") + "/.skiff"
    }
    static let kubeconfig = "/etc/skiff/skiff.yaml"
    static let port = 6443
    static let clusterCIDR = "10.42.0.0/16"
    static let serviceCIDR = "10.43.0.0/16"
    static let clusterDNS = "10.43.0.10"
    /// The airgap bundle's pause image (`make airgap`).
    static let pauseImage = "registry.k8s.io/pause:3.10"
    static var nodeName: String { ProcessInfo.processInfo.hostName.lowercased() }
}

extension ServerConfig {
    static let fileKeys = Set([
        "data-dir", "debug", "https-listen-port", "bind-address", "advertise-address", "tls-san", "write-kubeconfig",
        "write-kubeconfig-mode", "token", "token-file", "disable-agent", "cluster-cidr", "service-cidr", "cluster-dns",
        "datastore-endpoint", "datastore-cafile", "datastore-certfile", "datastore-keyfile",
        "node-monitor-grace-period", "anonymous-auth", "pod-security-default-level",
        "audit-log-path", "audit-log-maxsize", "audit-log-maxbackup", "snapshot-schedule-cron", "snapshot-retention",
        "snapshot-dir", "disable-snapshots",
    ]).union(AgentConfig.fileKeys)

    init(
        common: CommonOptions, server: ServerOptions, agent: AgentOptions, environment: [String: String]
    ) throws(ConfigError) {
        let layers = try ConfigLayers.load(
            explicitPath: common.config, environment: environment, allowedKeys: Self.fileKeys)
        let dataDir = layers.string("data-dir", flag: common.dataDir) ?? Defaults.dataDir
        let debug = try layers.bool("debug", flag: common.debug)
        let port = try layers.int("https-listen-port", flag: server.httpsListenPort) ?? Defaults.port
        guard (1...65535).contains(port) else { throw ConfigError("https-listen-port must be 1-65535, not \(port)") }
        let modeText = layers.string("write-kubeconfig-mode", flag: server.writeKubeconfigMode) ?? "0600"
        guard let mode = Int(modeText, radix: 8), (0...0o777).contains(mode) else {
            throw ConfigError("write-kubeconfig-mode must be an octal file mode like 0600, not \"\(modeText)\"")
        }
        let grace = layers.string("node-monitor-grace-period", flag: server.nodeMonitorGracePeriod) ?? "40s"
        guard let gracePeriod = GoDuration.parse(grace), gracePeriod > .zero else {
            throw ConfigError("node-monitor-grace-period must be a duration like 40s, not \"\(grace)\"")
        }
        let clusterCIDR = layers.string("cluster-cidr", flag: server.clusterCidr) ?? Defaults.clusterCIDR
        let serviceCIDR = layers.string("service-cidr", flag: server.serviceCidr) ?? Defaults.serviceCIDR
        for (key, value) in [("cluster-cidr", clusterCIDR), ("service-cidr", serviceCIDR)] {
            guard IPv4CIDR(value) != nil else {
                throw ConfigError("\(key) must be an IPv4 CIDR like 10.42.0.0/16, not \"\(value)\"")
            }
        }
        let clusterDNS = layers.string("cluster-dns", flag: server.clusterDns) ?? Defaults.clusterDNS
        guard IPv4CIDR.parseAddress(clusterDNS) != nil else {
            throw ConfigError("cluster-dns must be an IPv4 address, not \"\(clusterDNS)\"")
        }
        let datastore = layers.string("datastore-endpoint", flag: server.datastoreEndpoint)
        let store = try Self.datastore(
            datastore, caFile: layers.string("datastore-cafile", flag: server.datastoreCafile),
            certFile: layers.string("datastore-certfile", flag: server.datastoreCertfile),
            keyFile: layers.string("datastore-keyfile", flag: server.datastoreKeyfile))
        let token = try Self.token(
            layers.string("token", flag: server.token), file: layers.string("token-file", flag: server.tokenFile))
        let disableAgent = try layers.bool("disable-agent", flag: server.disableAgent)
        self.init(
            dataDir: dataDir,
            httpsListenPort: port,
            bindAddress: layers.string("bind-address", flag: server.bindAddress) ?? "0.0.0.0",
            advertiseAddress: layers.string("advertise-address", flag: server.advertiseAddress),
            tlsSANs: layers.strings("tls-san", flag: server.tlsSan),
            kubeconfigPath: layers.string("write-kubeconfig", flag: server.writeKubeconfig) ?? Defaults.kubeconfig,
            kubeconfigMode: mode,
            token: token,
            disableAgent: disableAgent,
            clusterCIDR: clusterCIDR,
            serviceCIDR: serviceCIDR,
            clusterDNS: clusterDNS,
            datastoreEndpoint: datastore,
            nodeMonitorGracePeriod: gracePeriod,
            debug: debug,
            agent: try AgentConfig(
                layers: layers, dataDir: dataDir, agent: agent, token: token, debug: debug, requireServer: false,
                runsContainers: !disableAgent),
            configFile: layers.filePath)
        self.datastore = store
        let anonymous = layers.string("anonymous-auth", flag: server.anonymousAuth.map { String($0) }) ?? "true"
        guard let anonymousAuth = Bool(anonymous) else {
            throw ConfigError("anonymous-auth must be true or false, not \"\(anonymous)\"")
        }
        self.anonymousAuth = anonymousAuth
        let level = layers.string("pod-security-default-level", flag: server.podSecurityDefaultLevel) ?? "privileged"
        do { podSecurityDefaultLevel = try PodSecurityLevel(parsing: level) } catch {
            throw ConfigError(
                "pod-security-default-level must be privileged, baseline or restricted, not \"\(level)\"")
        }
        if let path = layers.string("audit-log-path", flag: server.auditLogPath), !path.isEmpty {
            let maxSize = try layers.int("audit-log-maxsize", flag: server.auditLogMaxsize) ?? 100
            let maxBackups = try layers.int("audit-log-maxbackup", flag: server.auditLogMaxbackup) ?? 10
            guard maxSize > 0, maxBackups >= 0 else {
                throw ConfigError("audit-log-maxsize must be at least 1 (MB) and audit-log-maxbackup at least 0")
            }
            auditLog = AuditLogSettings(path: path, maxBytes: maxSize * 1024 * 1024, maxBackups: maxBackups)
        }
        if !(try layers.bool("disable-snapshots", flag: server.disableSnapshots)) {
            let cron =
                layers.string("snapshot-schedule-cron", flag: server.snapshotScheduleCron)
                ?? SnapshotSettings.defaultSchedule
            let schedule: CronSchedule
            do { schedule = try CronSchedule(parsing: cron) } catch {
                throw ConfigError("snapshot-schedule-cron: \(error.description)")
            }
            let retention =
                try layers.int("snapshot-retention", flag: server.snapshotRetention)
                ?? SnapshotSettings.defaultRetention
            guard retention >= 1 else { throw ConfigError("snapshot-retention must be at least 1, not \(retention)") }
            snapshots = SnapshotSettings(
                schedule: schedule, retention: retention,
                directory: layers.string("snapshot-dir", flag: server.snapshotDir)
                    ?? SnapshotSettings.directory(dataDir: dataDir))
        }
        if let lifetime = server.nodeCertificateLifetime {
            guard let duration = GoDuration.parse(lifetime), duration >= .seconds(10) else {
                throw ConfigError("node-certificate-lifetime must be a duration of 10s or more, not \"\(lifetime)\"")
            }
            nodeCertificateLifetime = duration
        }
        if let lifetime = server.serverCertificateLifetime {
            guard let duration = GoDuration.parse(lifetime), duration >= .seconds(10) else {
                throw ConfigError("server-certificate-lifetime must be a duration of 10s or more, not \"\(lifetime)\"")
            }
            serverCertificateLifetime = duration
        }
    }

    /// The datastore an endpoint names: SQLite when empty or `sqlite://`, PostgreSQL for `postgres://` and
    /// `postgresql://`; anything else is an error naming the flag (never a silent fallback to SQLite).
    static func datastore(_ endpoint: String?, caFile: String?, certFile: String?, keyFile: String?)
        throws(ConfigError) -> Datastore
    {
        guard let endpoint, !endpoint.isEmpty, !endpoint.hasPrefix("sqlite://") else { return .sqlite }
        guard endpoint.hasPrefix("postgres://") || endpoint.hasPrefix("postgresql://") else {
            throw ConfigError(
                "datastore-endpoint \"\(PostgresEndpoint.redacted(endpoint))\" is not supported: use postgres://… or "
                    + "leave it empty for the embedded SQLite")
        }
        do {
            return .postgres(
                try PostgresEndpoint(url: endpoint, caFile: caFile, certFile: certFile, keyFile: keyFile))
        } catch {
            throw ConfigError(error.message)
        }
    }

    static func token(_ token: String?, file: String?) throws(ConfigError) -> String? {
        if let token { return token }
        guard let file else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError("cannot read token file \(file)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ConfigError("token file \(file) is empty") }
        return text
    }
}

extension AgentConfig {
    /// The servers `--server` names: one `https://HOST:PORT`, or several separated by commas.
    var serverURLs: [String] { serverURL.map(Self.serverURLs) ?? [] }

    static func serverURLs(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static let fileKeys: Set<String> = [
        "data-dir", "debug", "server", "token", "token-file", "node-name", "node-ip", "node-label", "node-taint",
        "container-runtime-endpoint", "pause-image", "simulate", "autonomous",
        "resolv-conf", "private-registry",
    ]

    init(
        layers: ConfigLayers, dataDir: String, agent: AgentOptions, token: String?, debug: Bool, requireServer: Bool,
        runsContainers: Bool = true
    ) throws(ConfigError) {
        var server = layers.string("server", flag: agent.server, aliases: ["SKIFF_URL"])
        // The config file may list several servers (`server: [https://a:6443, https://b:6443]`).
        let fromFile =
            agent.server == nil && ["SKIFF_SERVER", "SKIFF_URL"].allSatisfy { layers.environment[$0] == nil }
        if fromFile, let listed = layers.file["server"], listed.count > 1 {
            server = listed.joined(separator: ",")
        }
        if requireServer {
            guard let server else { throw ConfigError("--server (or SKIFF_URL) is required to run an agent") }
            for url in Self.serverURLs(server) {
                guard let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil else {
                    throw ConfigError("--server must be an https URL like https://HOST:6443, not \"\(url)\"")
                }
            }
            if Self.serverURLs(server).isEmpty { throw ConfigError("--server names no server") }
        }
        let simulate = try layers.int("simulate", flag: agent.simulate)
        if let simulate, simulate < 0 { throw ConfigError("simulate must not be negative") }
        for label in layers.strings("node-label", flag: agent.nodeLabel) where !label.contains("=") {
            throw ConfigError("node-label must be key=value, not \"\(label)\"")
        }
        for taint in layers.strings("node-taint", flag: agent.nodeTaint) where NodeTaint(parsing: taint) == nil {
            throw ConfigError("node-taint must be key[=value]:NoSchedule|PreferNoSchedule|NoExecute, not \"\(taint)\"")
        }
        self.init(
            dataDir: dataDir,
            serverURL: server,
            token: token,
            nodeName: layers.string("node-name", flag: agent.nodeName) ?? Defaults.nodeName,
            nodeIP: layers.string("node-ip", flag: agent.nodeIp),
            nodeLabels: layers.strings("node-label", flag: agent.nodeLabel),
            nodeTaints: layers.strings("node-taint", flag: agent.nodeTaint),
            containerRuntimeEndpoint: layers.string("container-runtime-endpoint", flag: agent.containerRuntimeEndpoint),
            pauseImage: layers.string("pause-image", flag: agent.pauseImage) ?? Defaults.pauseImage,
            simulate: simulate,
            debug: debug,
            autonomous: try layers.bool("autonomous", flag: agent.autonomous),
            resolvConf: layers.string("resolv-conf", flag: agent.resolvConf) ?? "/etc/resolv.conf")
        // Only a node that runs containers reads it; a broken file stops it here, before anything starts.
        if runsContainers && (simulate ?? 0) == 0 {
            registries = try RegistriesFile.load(
                explicitPath: layers.string("private-registry", flag: agent.privateRegistry))
        }
    }
}
