/// What the agent needs from a container runtime: the CRI `runtime.v1` calls it makes, in plain Swift values.
///
/// `SkiffContainerd` implements it over containerd's CRI socket (gRPC); `FakeContainerRuntime` (SkiffTesting) keeps
/// everything in memory for the pod state machine's tests. Semantics follow containerd 1.6: removing an unknown
/// sandbox or container succeeds, stopping or inspecting one throws `.notFound`, `imageStatus` of a missing image is
/// nil, and `pullImage` always asks a registry (callers check `imageStatus` first).
public protocol ContainerRuntime: Sendable {
    func version() async throws(RuntimeError) -> RuntimeVersion
    /// The runtime's conditions (`RuntimeReady`, `NetworkReady`).
    func status() async throws(RuntimeError) -> [RuntimeCondition]

    func runPodSandbox(_ config: PodSandboxConfig) async throws(RuntimeError) -> String
    func stopPodSandbox(id: String) async throws(RuntimeError)
    func removePodSandbox(id: String) async throws(RuntimeError)
    func podSandboxStatus(id: String) async throws(RuntimeError) -> PodSandboxStatus
    func listPodSandboxes() async throws(RuntimeError) -> [PodSandboxStatus]

    func createContainer(
        sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig
    ) async throws(RuntimeError) -> String
    func startContainer(id: String) async throws(RuntimeError)
    /// Stops with SIGTERM (the image's stop signal), then SIGKILL after `timeout` seconds.
    func stopContainer(id: String, timeout: Int64) async throws(RuntimeError)
    func removeContainer(id: String) async throws(RuntimeError)
    /// Containers of one sandbox, or of all when `sandboxID` is nil.
    func listContainers(sandboxID: String?) async throws(RuntimeError) -> [ContainerSummary]
    func containerStatus(id: String) async throws(RuntimeError) -> ContainerStatus
    /// Runs a command in a running container and waits for it (probes, hooks); `timeout` in seconds, 0 for none.
    func execSync(id: String, command: [String], timeout: Int64) async throws(RuntimeError) -> ExecResult
    /// Re-opens the container's log file after it was rotated (renamed).
    func reopenContainerLog(id: String) async throws(RuntimeError)

    /// A streaming session (`kubectl exec`, `attach`, `port-forward`) runs on the runtime's streaming server: these
    /// answer the session's one-time URL there, with its options fixed.
    func exec(id: String, command: [String], streams: StreamOptions) async throws(RuntimeError) -> String
    func attach(id: String, streams: StreamOptions) async throws(RuntimeError) -> String
    func portForward(sandboxID: String, ports: [Int32]) async throws(RuntimeError) -> String

    /// The image as the runtime knows it, or nil when it is not present.
    func imageStatus(_ image: String) async throws(RuntimeError) -> ImageSummary?
    /// Pulls from a registry with `auth` (an image pull secret's credentials; nil pulls with what the runtime's own
    /// configuration holds for the registry, or anonymously); returns the image reference (`sha256:` id).
    func pullImage(_ image: String, auth: AuthConfig?, sandboxConfig: PodSandboxConfig?) async throws(RuntimeError)
        -> String
    func listImages() async throws(RuntimeError) -> [ImageSummary]

    /// Tells the runtime the node's pod CIDR (CRI `UpdateRuntimeConfig`).
    func updatePodCIDR(_ cidr: String) async throws(RuntimeError)
}

extension ContainerRuntime {
    /// Pulls without credentials of its own.
    public func pullImage(_ image: String, sandboxConfig: PodSandboxConfig?) async throws(RuntimeError) -> String {
        try await pullImage(image, auth: nil, sandboxConfig: sandboxConfig)
    }
}

/// Which standard streams an exec or attach session carries, and whether it runs in a terminal (then stderr is
/// merged into stdout).
public struct StreamOptions: Sendable, Equatable {
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool

    public init(stdin: Bool = false, stdout: Bool = true, stderr: Bool = true, tty: Bool = false) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }
}

/// A runtime call that failed: a code the caller can act on, the runtime's message, and what caused it.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The sandbox, container or image does not exist.
        case notFound
        /// The runtime cannot be reached (socket missing, connection refused, runtime restarting).
        case unavailable
        /// A call with a deadline (execSync) ran out of time.
        case deadlineExceeded
        case invalidArgument
        case alreadyExists
        /// Anything else the runtime reported.
        case failed
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

public struct RuntimeVersion: Sendable, Equatable {
    /// `containerd`
    public var runtimeName: String
    /// `1.6.20~ds1`
    public var runtimeVersion: String
    /// `v1`
    public var runtimeAPIVersion: String

    public init(runtimeName: String, runtimeVersion: String, runtimeAPIVersion: String) {
        self.runtimeName = runtimeName
        self.runtimeVersion = runtimeVersion
        self.runtimeAPIVersion = runtimeAPIVersion
    }
}

public struct RuntimeCondition: Sendable, Equatable {
    public static let runtimeReady = "RuntimeReady"
    public static let networkReady = "NetworkReady"

    public var type: String
    public var status: Bool
    public var reason: String
    public var message: String

    public init(type: String, status: Bool, reason: String = "", message: String = "") {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}

// MARK: - Sandboxes

public struct PodSandboxMetadata: Sendable, Equatable, Hashable {
    public var name: String
    public var uid: String
    public var namespace: String
    public var attempt: UInt32

    public init(name: String, uid: String, namespace: String, attempt: UInt32 = 0) {
        self.name = name
        self.uid = uid
        self.namespace = namespace
        self.attempt = attempt
    }
}

public struct DNSConfig: Sendable, Equatable {
    public var servers: [String]
    public var searches: [String]
    public var options: [String]

    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers
        self.searches = searches
        self.options = options
    }
}

public struct PortMapping: Sendable, Equatable {
    public enum TransportProtocol: String, Sendable, Equatable { case tcp = "TCP", udp = "UDP", sctp = "SCTP" }

    public var `protocol`: TransportProtocol
    public var containerPort: Int32
    public var hostPort: Int32
    public var hostIP: String

    public init(protocol: TransportProtocol = .tcp, containerPort: Int32, hostPort: Int32, hostIP: String = "") {
        self.protocol = `protocol`
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

public enum NamespaceMode: Int, Sendable, Equatable {
    case pod = 0
    case container = 1
    case node = 2
}

public struct PodSandboxConfig: Sendable, Equatable {
    public var metadata: PodSandboxMetadata
    /// Empty for hostNetwork pods (a hostname needs a private UTS namespace).
    public var hostname: String
    /// Absolute directory for the pod's container logs (`…/pods/<ns>_<name>_<uid>`).
    public var logDirectory: String
    public var dns: DNSConfig?
    public var portMappings: [PortMapping]
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Network, PID and IPC namespaces (`.node` network for hostNetwork pods).
    public var network: NamespaceMode
    public var pid: NamespaceMode
    public var ipc: NamespaceMode
    /// cgroupfs path such as `/kubepods/besteffort/pod<uid>`; empty for the runtime's default.
    public var cgroupParent: String
    public var sysctls: [String: String]
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var supplementalGroups: [Int64]
    public var privileged: Bool
    public var seccompProfile: SeccompProfile?

    public init(
        metadata: PodSandboxMetadata, hostname: String = "", logDirectory: String = "", dns: DNSConfig? = nil,
        portMappings: [PortMapping] = [], labels: [String: String] = [:], annotations: [String: String] = [:],
        network: NamespaceMode = .pod, pid: NamespaceMode = .container, ipc: NamespaceMode = .pod,
        cgroupParent: String = "", sysctls: [String: String] = [:], runAsUser: Int64? = nil, runAsGroup: Int64? = nil,
        supplementalGroups: [Int64] = [], privileged: Bool = false, seccompProfile: SeccompProfile? = nil
    ) {
        self.metadata = metadata
        self.hostname = hostname
        self.logDirectory = logDirectory
        self.dns = dns
        self.portMappings = portMappings
        self.labels = labels
        self.annotations = annotations
        self.network = network
        self.pid = pid
        self.ipc = ipc
        self.cgroupParent = cgroupParent
        self.sysctls = sysctls
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.supplementalGroups = supplementalGroups
        self.privileged = privileged
        self.seccompProfile = seccompProfile
    }
}

public enum SandboxState: Sendable, Equatable {
    case ready
    case notReady
}

/// A sandbox as `ListPodSandbox` and `PodSandboxStatus` report it (`ip` only from the latter).
public struct PodSandboxStatus: Sendable, Equatable {
    public var id: String
    public var metadata: PodSandboxMetadata
    public var state: SandboxState
    /// Nanoseconds since the epoch.
    public var createdAt: Int64
    /// The pod's IP; empty for hostNetwork pods and in list results.
    public var ip: String
    public var additionalIPs: [String]
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(
        id: String, metadata: PodSandboxMetadata, state: SandboxState, createdAt: Int64 = 0, ip: String = "",
        additionalIPs: [String] = [], labels: [String: String] = [:], annotations: [String: String] = [:]
    ) {
        self.id = id
        self.metadata = metadata
        self.state = state
        self.createdAt = createdAt
        self.ip = ip
        self.additionalIPs = additionalIPs
        self.labels = labels
        self.annotations = annotations
    }
}

// MARK: - Containers

public struct ContainerMetadata: Sendable, Equatable, Hashable {
    public var name: String
    public var attempt: UInt32

    public init(name: String, attempt: UInt32 = 0) {
        self.name = name
        self.attempt = attempt
    }
}

public enum MountPropagation: Int, Sendable, Equatable {
    case `private` = 0
    case hostToContainer = 1
    case bidirectional = 2
}

public struct Mount: Sendable, Equatable {
    public var containerPath: String
    public var hostPath: String
    public var readOnly: Bool
    public var propagation: MountPropagation

    public init(
        containerPath: String, hostPath: String, readOnly: Bool = false, propagation: MountPropagation = .private
    ) {
        self.containerPath = containerPath
        self.hostPath = hostPath
        self.readOnly = readOnly
        self.propagation = propagation
    }
}

public struct LinuxResources: Sendable, Equatable {
    public var cpuPeriod: Int64
    public var cpuQuota: Int64
    public var cpuShares: Int64
    public var memoryLimitInBytes: Int64
    public var oomScoreAdj: Int64

    public init(
        cpuPeriod: Int64 = 0, cpuQuota: Int64 = 0, cpuShares: Int64 = 0, memoryLimitInBytes: Int64 = 0,
        oomScoreAdj: Int64 = 0
    ) {
        self.cpuPeriod = cpuPeriod
        self.cpuQuota = cpuQuota
        self.cpuShares = cpuShares
        self.memoryLimitInBytes = memoryLimitInBytes
        self.oomScoreAdj = oomScoreAdj
    }
}

public enum SeccompProfile: Sendable, Equatable {
    case runtimeDefault
    case unconfined
    /// A profile file on the node.
    case localhost(String)
}

public struct ContainerSecurity: Sendable, Equatable {
    public var privileged: Bool
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsUsername: String
    public var readOnlyRootFilesystem: Bool
    public var supplementalGroups: [Int64]
    public var addCapabilities: [String]
    public var dropCapabilities: [String]
    public var noNewPrivileges: Bool
    public var seccompProfile: SeccompProfile?
    public var network: NamespaceMode
    public var pid: NamespaceMode
    public var ipc: NamespaceMode

    public init(
        privileged: Bool = false, runAsUser: Int64? = nil, runAsGroup: Int64? = nil, runAsUsername: String = "",
        readOnlyRootFilesystem: Bool = false, supplementalGroups: [Int64] = [], addCapabilities: [String] = [],
        dropCapabilities: [String] = [], noNewPrivileges: Bool = false, seccompProfile: SeccompProfile? = nil,
        network: NamespaceMode = .pod, pid: NamespaceMode = .container, ipc: NamespaceMode = .pod
    ) {
        self.privileged = privileged
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsUsername = runAsUsername
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.supplementalGroups = supplementalGroups
        self.addCapabilities = addCapabilities
        self.dropCapabilities = dropCapabilities
        self.noNewPrivileges = noNewPrivileges
        self.seccompProfile = seccompProfile
        self.network = network
        self.pid = pid
        self.ipc = ipc
    }

    public static func == (lhs: ContainerSecurity, rhs: ContainerSecurity) -> Bool {
        lhs.privileged == rhs.privileged && lhs.runAsUser == rhs.runAsUser && lhs.runAsGroup == rhs.runAsGroup
            && lhs.runAsUsername == rhs.runAsUsername && lhs.readOnlyRootFilesystem == rhs.readOnlyRootFilesystem
            && lhs.supplementalGroups == rhs.supplementalGroups && lhs.addCapabilities == rhs.addCapabilities
            && lhs.dropCapabilities == rhs.dropCapabilities && lhs.noNewPrivileges == rhs.noNewPrivileges
            && lhs.seccompProfile == rhs.seccompProfile && lhs.network == rhs.network && lhs.pid == rhs.pid
            && lhs.ipc == rhs.ipc
    }
}

public struct ContainerConfig: Sendable, Equatable {
    public var metadata: ContainerMetadata
    public var image: String
    /// The image's entrypoint is replaced when non-empty (Kubernetes `command`).
    public var command: [String]
    /// The image's cmd is replaced when non-empty (Kubernetes `args`).
    public var args: [String]
    public var workingDir: String
    /// In order; a later entry with the same name wins, as in Kubernetes.
    public var env: [(name: String, value: String)]
    public var mounts: [Mount]
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Relative to the sandbox's log directory: `<container>/<restartCount>.log`.
    public var logPath: String
    public var stdin: Bool
    public var stdinOnce: Bool
    public var tty: Bool
    public var resources: LinuxResources
    public var security: ContainerSecurity

    public init(
        metadata: ContainerMetadata, image: String, command: [String] = [], args: [String] = [],
        workingDir: String = "",
        env: [(name: String, value: String)] = [], mounts: [Mount] = [], labels: [String: String] = [:],
        annotations: [String: String] = [:], logPath: String = "", stdin: Bool = false, stdinOnce: Bool = false,
        tty: Bool = false, resources: LinuxResources = LinuxResources(),
        security: ContainerSecurity = ContainerSecurity()
    ) {
        self.metadata = metadata
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.mounts = mounts
        self.labels = labels
        self.annotations = annotations
        self.logPath = logPath
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
        self.resources = resources
        self.security = security
    }

    public static func == (lhs: ContainerConfig, rhs: ContainerConfig) -> Bool {
        lhs.metadata == rhs.metadata && lhs.image == rhs.image && lhs.command == rhs.command && lhs.args == rhs.args
            && lhs.workingDir == rhs.workingDir && lhs.env.map(\.name) == rhs.env.map(\.name)
            && lhs.env.map(\.value) == rhs.env.map(\.value) && lhs.mounts == rhs.mounts && lhs.labels == rhs.labels
            && lhs.annotations == rhs.annotations && lhs.logPath == rhs.logPath && lhs.stdin == rhs.stdin
            && lhs.stdinOnce == rhs.stdinOnce && lhs.tty == rhs.tty && lhs.resources == rhs.resources
            && lhs.security == rhs.security
    }
}

public enum ContainerState: Sendable, Equatable {
    case created
    case running
    case exited
    case unknown
}

/// A container as `ListContainers` reports it.
public struct ContainerSummary: Sendable, Equatable {
    public var id: String
    public var sandboxID: String
    public var metadata: ContainerMetadata
    /// The image as asked for.
    public var image: String
    /// The image's `sha256:` id.
    public var imageRef: String
    public var state: ContainerState
    /// Nanoseconds since the epoch.
    public var createdAt: Int64
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(
        id: String, sandboxID: String, metadata: ContainerMetadata, image: String, imageRef: String = "",
        state: ContainerState, createdAt: Int64 = 0, labels: [String: String] = [:], annotations: [String: String] = [:]
    ) {
        self.id = id
        self.sandboxID = sandboxID
        self.metadata = metadata
        self.image = image
        self.imageRef = imageRef
        self.state = state
        self.createdAt = createdAt
        self.labels = labels
        self.annotations = annotations
    }
}

/// A container as `ContainerStatus` reports it. Times are nanoseconds since the epoch, 0 when not reached.
public struct ContainerStatus: Sendable, Equatable {
    public var id: String
    public var metadata: ContainerMetadata
    public var state: ContainerState
    public var createdAt: Int64
    public var startedAt: Int64
    public var finishedAt: Int64
    public var exitCode: Int32
    public var image: String
    public var imageRef: String
    /// `Completed`, `Error`, `OOMKilled` once exited.
    public var reason: String
    public var message: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Absolute path of the container's log file.
    public var logPath: String

    public init(
        id: String, metadata: ContainerMetadata, state: ContainerState, createdAt: Int64 = 0, startedAt: Int64 = 0,
        finishedAt: Int64 = 0, exitCode: Int32 = 0, image: String = "", imageRef: String = "", reason: String = "",
        message: String = "", labels: [String: String] = [:], annotations: [String: String] = [:], logPath: String = ""
    ) {
        self.id = id
        self.metadata = metadata
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.image = image
        self.imageRef = imageRef
        self.reason = reason
        self.message = message
        self.labels = labels
        self.annotations = annotations
        self.logPath = logPath
    }
}

public struct ExecResult: Sendable, Equatable {
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var exitCode: Int32

    public init(stdout: [UInt8] = [], stderr: [UInt8] = [], exitCode: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitCode = exitCode
    }
}

// MARK: - Images

/// Registry credentials for one pull (CRI `AuthConfig`): a user name and password, or docker's base64
/// `user:password` in `auth`, or an identity token. Its description never shows a secret.
public struct AuthConfig: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String
    public var auth: String
    public var identityToken: String
    public var registryToken: String

    public init(
        username: String = "", password: String = "", auth: String = "", identityToken: String = "",
        registryToken: String = ""
    ) {
        self.username = username
        self.password = password
        self.auth = auth
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    public var description: String {
        username.isEmpty ? (auth.isEmpty ? "token" : "auth") : "user \(username)"
    }
}

public struct ImageSummary: Sendable, Equatable {
    /// The `sha256:` config digest, which CRI uses as the image id.
    public var id: String
    public var repoTags: [String]
    public var repoDigests: [String]
    public var size: UInt64
    /// Pinned images are never garbage-collected (airgap imports).
    public var pinned: Bool

    public init(id: String, repoTags: [String] = [], repoDigests: [String] = [], size: UInt64 = 0, pinned: Bool = false)
    {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.size = size
        self.pinned = pinned
    }
}
