import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import ServiceLifecycle
import SkiffCRI

/// `ContainerRuntime` over a CRI `runtime.v1` socket (containerd's), gRPC over plaintext HTTP/2 on a unix socket.
///
/// A long-lived object: either run it as a `Service` (its `run()` keeps the client's connections up until graceful
/// shutdown) or scope it with `withRuntime(socket:logger:_:)`. The client reconnects by itself when containerd
/// restarts; calls made meanwhile fail with `.unavailable` or `.deadlineExceeded` once their deadline passes.
public final class CRIRuntime: ContainerRuntime, Service {
    /// Deadline of every call but `execSync` (whose deadline is its own timeout plus `execMargin`).
    public let callTimeout: Duration
    static let execMargin: Duration = .seconds(5)

    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let runtimeService: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    private let imageService: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    private let logger: Logger

    /// A client of the CRI socket at `socket` (a path, < 108 bytes). Nothing connects until `run()`.
    public init(socket: String, callTimeout: Duration = .seconds(10), logger: Logger) throws(SkiffCRI.RuntimeError) {
        do {
            let config = HTTP2ClientTransport.Posix.Config.defaults { config in
                // First in the pipeline: containerd's PINGs never reach swift-nio-http2's rate limit (see PingAnswerer).
                config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(PingAnswerer(), position: .first)
                    }
                }
            }
            let transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: socket, authority: "localhost"), transportSecurity: .plaintext,
                config: config)
            client = GRPCClient(transport: transport)
        } catch {
            throw SkiffCRI.RuntimeError(.invalidArgument, "CRI socket \(socket): \(error)", cause: error)
        }
        runtimeService = Runtime_V1_RuntimeService.Client(wrapping: client)
        imageService = Runtime_V1_ImageService.Client(wrapping: client)
        self.callTimeout = callTimeout
        self.logger = logger
    }

    /// Keeps the connections up until graceful shutdown or cancellation.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }

    /// Stops accepting calls and lets `run()` return once the calls in flight finish.
    public func shutdown() { client.beginGracefulShutdown() }

    /// Runs `body` with a connected runtime and closes it afterwards; for the CLI's `--container-runtime-endpoint`
    /// and for tests.
    public static func withRuntime<Result: Sendable>(
        socket: String, callTimeout: Duration = .seconds(10), logger: Logger,
        _ body: (CRIRuntime) async throws -> Result
    ) async throws -> Result {
        let runtime = try CRIRuntime(socket: socket, callTimeout: callTimeout, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runtime.client.runConnections() }
            defer { runtime.client.beginGracefulShutdown() }
            return try await body(runtime)
        }
    }

    // MARK: - Calls

    private func options(_ timeout: Duration? = nil, waitForReady: Bool = true) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout ?? callTimeout
        options.waitForReady = waitForReady
        return options
    }

    /// Runs one call and turns its error into a `RuntimeError`.
    private func call<R: Sendable>(
        _ method: String, _ body: () async throws -> R
    ) async throws(SkiffCRI.RuntimeError) -> R {
        do {
            return try await body()
        } catch {
            let wrapped = SkiffCRI.RuntimeError.wrapping(error, method: method)
            logger.debug("CRI call failed", metadata: ["cri.method": "\(method)", "error": "\(wrapped)"])
            throw wrapped
        }
    }

    public func version() async throws(SkiffCRI.RuntimeError) -> RuntimeVersion {
        try await call("Version") {
            CRIMapping.value(try await runtimeService.version(.with { $0.version = "v1" }, options: options()))
        }
    }

    public func status() async throws(SkiffCRI.RuntimeError) -> [RuntimeCondition] {
        try await status(timeout: nil, waitForReady: true)
    }

    /// `status()` with its own deadline; the supervisor's readiness probe fails fast instead of waiting for a
    /// connection (`waitForReady: false`).
    public func status(timeout: Duration?, waitForReady: Bool) async throws(SkiffCRI.RuntimeError) -> [RuntimeCondition]
    {
        try await call("Status") {
            let response = try await runtimeService.status(
                .init(), options: options(timeout, waitForReady: waitForReady))
            return response.status.conditions.map(CRIMapping.value)
        }
    }

    public func runPodSandbox(_ config: PodSandboxConfig) async throws(SkiffCRI.RuntimeError) -> String {
        // Sandbox creation pulls nothing but starts the pause container and CNI: allow it more than a plain call.
        try await call("RunPodSandbox") {
            try await runtimeService.runPodSandbox(
                .with { $0.config = CRIMapping.message(config) }, options: options(callTimeout * 4)
            ).podSandboxID
        }
    }

    public func stopPodSandbox(id: String) async throws(SkiffCRI.RuntimeError) {
        try await call("StopPodSandbox") {
            _ = try await runtimeService.stopPodSandbox(
                .with { $0.podSandboxID = id }, options: options(callTimeout * 4))
        }
    }

    public func removePodSandbox(id: String) async throws(SkiffCRI.RuntimeError) {
        try await call("RemovePodSandbox") {
            _ = try await runtimeService.removePodSandbox(
                .with { $0.podSandboxID = id }, options: options(callTimeout * 4))
        }
    }

    public func podSandboxStatus(id: String) async throws(SkiffCRI.RuntimeError) -> PodSandboxStatus {
        try await call("PodSandboxStatus") {
            CRIMapping.value(
                try await runtimeService.podSandboxStatus(.with { $0.podSandboxID = id }, options: options()).status)
        }
    }

    public func listPodSandboxes() async throws(SkiffCRI.RuntimeError) -> [PodSandboxStatus] {
        try await call("ListPodSandbox") {
            try await runtimeService.listPodSandbox(.init(), options: options()).items.map(CRIMapping.value)
        }
    }

    public func createContainer(
        sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig
    ) async throws(SkiffCRI.RuntimeError) -> String {
        try await call("CreateContainer") {
            try await runtimeService.createContainer(
                .with {
                    $0.podSandboxID = sandboxID
                    $0.config = CRIMapping.message(config)
                    $0.sandboxConfig = CRIMapping.message(sandboxConfig)
                }, options: options(callTimeout * 2)
            ).containerID
        }
    }

    public func startContainer(id: String) async throws(SkiffCRI.RuntimeError) {
        try await call("StartContainer") {
            _ = try await runtimeService.startContainer(
                .with { $0.containerID = id }, options: options(callTimeout * 2))
        }
    }

    public func stopContainer(id: String, timeout: Int64) async throws(SkiffCRI.RuntimeError) {
        try await call("StopContainer") {
            _ = try await runtimeService.stopContainer(
                .with {
                    $0.containerID = id
                    $0.timeout = timeout
                }, options: options(.seconds(max(timeout, 0)) + callTimeout))
        }
    }

    public func removeContainer(id: String) async throws(SkiffCRI.RuntimeError) {
        try await call("RemoveContainer") {
            _ = try await runtimeService.removeContainer(.with { $0.containerID = id }, options: options())
        }
    }

    public func listContainers(sandboxID: String?) async throws(SkiffCRI.RuntimeError) -> [ContainerSummary] {
        try await call("ListContainers") {
            let request = Runtime_V1_ListContainersRequest.with {
                if let sandboxID { $0.filter = .with { $0.podSandboxID = sandboxID } }
            }
            return try await runtimeService.listContainers(request, options: options()).containers.map(CRIMapping.value)
        }
    }

    public func containerStatus(id: String) async throws(SkiffCRI.RuntimeError) -> ContainerStatus {
        try await call("ContainerStatus") {
            CRIMapping.value(
                try await runtimeService.containerStatus(.with { $0.containerID = id }, options: options()).status)
        }
    }

    public func execSync(id: String, command: [String], timeout: Int64) async throws(SkiffCRI.RuntimeError)
        -> ExecResult
    {
        // containerd enforces `timeout` itself (DEADLINE_EXCEEDED); our deadline only guards against a hung runtime.
        let deadline: Duration = timeout > 0 ? .seconds(timeout) + Self.execMargin : .seconds(3600)
        return try await call("ExecSync") {
            CRIMapping.value(
                try await runtimeService.execSync(
                    .with {
                        $0.containerID = id
                        $0.cmd = command
                        $0.timeout = timeout
                    }, options: options(deadline)))
        }
    }

    public func exec(id: String, command: [String], streams: StreamOptions) async throws(SkiffCRI.RuntimeError)
        -> String
    {
        try await call("Exec") {
            try await runtimeService.exec(
                .with {
                    $0.containerID = id
                    $0.cmd = command
                    $0.tty = streams.tty
                    $0.stdin = streams.stdin
                    $0.stdout = streams.stdout
                    $0.stderr = streams.stderr && !streams.tty
                }, options: options()
            ).url
        }
    }

    public func attach(id: String, streams: StreamOptions) async throws(SkiffCRI.RuntimeError) -> String {
        try await call("Attach") {
            try await runtimeService.attach(
                .with {
                    $0.containerID = id
                    $0.tty = streams.tty
                    $0.stdin = streams.stdin
                    $0.stdout = streams.stdout
                    $0.stderr = streams.stderr && !streams.tty
                }, options: options()
            ).url
        }
    }

    public func portForward(sandboxID: String, ports: [Int32]) async throws(SkiffCRI.RuntimeError) -> String {
        try await call("PortForward") {
            try await runtimeService.portForward(
                .with {
                    $0.podSandboxID = sandboxID
                    $0.port = ports
                }, options: options()
            ).url
        }
    }

    public func reopenContainerLog(id: String) async throws(SkiffCRI.RuntimeError) {
        try await call("ReopenContainerLog") {
            _ = try await runtimeService.reopenContainerLog(.with { $0.containerID = id }, options: options())
        }
    }

    public func imageStatus(_ image: String) async throws(SkiffCRI.RuntimeError) -> ImageSummary? {
        try await call("ImageStatus") {
            let response = try await imageService.imageStatus(
                .with { $0.image = .with { $0.image = image } }, options: options())
            return response.hasImage ? CRIMapping.value(response.image) : nil
        }
    }

    public func pullImage(
        _ image: String, auth: SkiffCRI.AuthConfig?, sandboxConfig: PodSandboxConfig?
    ) async throws(SkiffCRI.RuntimeError) -> String {
        // Pulls take as long as the registry needs; the agent bounds them with its own back-off.
        try await call("PullImage") {
            try await imageService.pullImage(
                .with {
                    $0.image = .with { $0.image = image }
                    if let auth { $0.auth = CRIMapping.message(auth) }
                    if let sandboxConfig { $0.sandboxConfig = CRIMapping.message(sandboxConfig) }
                }, options: options(.seconds(600))
            ).imageRef
        }
    }

    public func listImages() async throws(SkiffCRI.RuntimeError) -> [ImageSummary] {
        try await call("ListImages") {
            try await imageService.listImages(.init(), options: options()).images.map(CRIMapping.value)
        }
    }

    public func updatePodCIDR(_ cidr: String) async throws(SkiffCRI.RuntimeError) {
        try await call("UpdateRuntimeConfig") {
            _ = try await runtimeService.updateRuntimeConfig(
                .with { $0.runtimeConfig = .with { $0.networkConfig = .with { $0.podCidr = cidr } } },
                options: options())
        }
    }
}
