import Foundation
import Logging
import ServiceLifecycle
import SkiffCRI
import SkiffModel
import Synchronization

/// Runs containerd as a child process: writes its config, starts `containerd --config FILE`, waits until CRI `Status`
/// reports `RuntimeReady`, restarts it with exponential back-off when it dies, and on graceful shutdown stops it with
/// SIGTERM and waits for it.
///
/// Containers survive both a crash and the shutdown: their `containerd-shim-runc-v2` processes re-parent to PID 1 in
/// their own process group, and a new containerd with the same root/state finds them again. So SIGTERM goes to
/// containerd's pid only, never to its process group. Not used with `--container-runtime-endpoint`: then the agent
/// connects a `CRIRuntime` to the given socket directly.
public final class ContainerdSupervisor: Service {
    public let config: ContainerdConfig
    /// How long one start may take to report `RuntimeReady`.
    public let readyTimeout: Duration
    private let binary: String
    private let clock: ServiceClock
    private let logger: Logger
    private let gate = ReadinessGate()
    private let current = CurrentChild()

    /// The CRI socket the agent's `CRIRuntime` connects to.
    public var socket: String { config.paths.socket }

    public init(
        config: ContainerdConfig, binary: String = "containerd", readyTimeout: Duration = .seconds(30),
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.config = config
        self.binary = binary
        self.readyTimeout = readyTimeout
        self.clock = clock
        self.logger = logger
    }

    /// Returns once containerd first reported `RuntimeReady`; throws when it can't start (not installed, config not
    /// writable, not ready within `readyTimeout`) or the supervisor stopped first.
    public func ready() async throws(ContainerdError) { try await gate.wait() }

    /// The running containerd's pid, nil between restarts (tests kill it to check the restart).
    public var pid: Int32? { current.child?.pid }

    public func run() async throws {
        do {
            try await supervise()
        } catch {
            gate.fail(error)
            throw error
        }
        gate.fail(ContainerdError(.stopped, "containerd supervisor stopped"))
    }

    private func supervise() async throws(ContainerdError) {
        guard let executable = findExecutable(binary) else { throw ContainerdError.notInstalled(binary) }
        try prepareFiles()
        var backoff = RestartBackoff()
        var everReady = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = clock.now
            let child = try start(executable)
            current.set(child)
            // SIGTERM to containerd only, on shutdown and on cancellation alike: the shims (and so the containers)
            // must outlive it.
            let outcome = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await self.awaitRun(child)
                } onGracefulShutdown: {
                    child.send(SIGTERM)
                }
            } onCancel: {
                child.send(SIGTERM)
            }
            current.set(nil)
            switch outcome {
            case .readyThenExited(let code):
                everReady = true
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    logger.info("containerd stopped", metadata: ["exit.code": "\(code)"])
                    return
                }
                logger.error("containerd exited", metadata: ["exit.code": "\(code)"])
            case .exitedBeforeReady(let code):
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.error(
                    "containerd exited before it was ready",
                    metadata: ["exit.code": "\(code)", "log": "\(config.paths.logFile)"])
            case .notReady(let error):
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                if !everReady { throw error }
                logger.error("containerd did not become ready; restarting", metadata: ["error": "\(error)"])
            }
            let delay = backoff.delay(afterRunOf: clock.now - started)
            logger.info("restarting containerd", metadata: ["delay": "\(delay)"])
            do { try await clock.sleep(for: delay) } catch { return }
        }
    }

    private enum Outcome {
        case readyThenExited(Int32)
        case exitedBeforeReady(Int32)
        case notReady(ContainerdError)
    }

    /// Waits for readiness (or the child's exit), then for the exit.
    private func awaitRun(_ child: ChildProcess) async -> Outcome {
        let ready: Result<Void, ContainerdError>
        do throws(ContainerdError) {
            try await waitUntilReady(child)
            ready = .success(())
        } catch {
            ready = .failure(error)
        }
        switch ready {
        case .success:
            logger.info("containerd ready", metadata: ["pid": "\(child.pid)", "socket": "\(socket)"])
            gate.open()
            return .readyThenExited(await child.exitCode())
        case .failure(let error):
            if child.hasExited { return .exitedBeforeReady(await child.exitCode()) }
            // Not ready in time: stop this one before the next try (or before giving up).
            child.send(SIGTERM)
            _ = await child.exitCode()
            return .notReady(error)
        }
    }

    /// Polls CRI `Status` until `RuntimeReady` (NetworkReady needs a CNI config and is the agent's concern).
    private func waitUntilReady(_ child: ChildProcess) async throws(ContainerdError) {
        let deadline = clock.now + readyTimeout
        var lastError = "no answer"
        do {
            try await CRIRuntime.withRuntime(socket: socket, callTimeout: .seconds(1), logger: logger) { runtime in
                while clock.now < deadline {
                    if child.hasExited { throw ContainerdError(.notReady, "containerd exited") }
                    do {
                        let conditions = try await runtime.status(timeout: .seconds(1), waitForReady: false)
                        if conditions.contains(where: { $0.type == RuntimeCondition.runtimeReady && $0.status }) {
                            return
                        }
                        lastError = "RuntimeReady is false"
                    } catch {
                        lastError = "\(error)"
                    }
                    try await clock.sleep(for: .milliseconds(100))
                }
                throw ContainerdError(
                    .notReady,
                    "containerd did not report RuntimeReady within \(readyTimeout) (\(lastError)); see \(config.paths.logFile)"
                )
            }
        } catch let error as ContainerdError {
            throw error
        } catch {
            throw ContainerdError(.notReady, "waiting for containerd: \(error)", cause: error)
        }
    }

    private func prepareFiles() throws(ContainerdError) {
        let paths = config.paths
        do {
            for dir in [paths.containerdDir, paths.configDir, paths.cniConfDir, paths.imagesDir, paths.state] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            // 0700 and 0600: the file holds the registries' credentials.
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: paths.configDir)
            try Data(config.render().utf8).write(to: URL(fileURLWithPath: paths.configFile), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: paths.configFile)
            let removed = try RegistryHostsDirectory(path: paths.certsDir).write(RegistryHosts.files(config.registries))
            let rewritten = config.registries.mirrors.filter { !$0.value.rewrites.isEmpty }.keys.sorted()
            if !rewritten.isEmpty {
                // Upstream containerd parses the rewrite tables and ignores them (verified on 1.6.20); k3s ships a
                // fork that applies them.
                logger.warning(
                    "registries.yaml rewrites are written to hosts.toml, but only a containerd with k3s' rewrite support applies them",
                    metadata: ["registries": "\(rewritten)"])
            }
            if !removed.isEmpty {
                logger.info("registry hosts no longer configured removed", metadata: ["registries": "\(removed)"])
            }
            if !FileManager.default.fileExists(atPath: paths.logFile) {
                _ = FileManager.default.createFile(atPath: paths.logFile, contents: nil)
            }
        } catch {
            throw ContainerdError(
                .startFailed, "writing containerd's files under \(paths.agentDir): \(error)", cause: error)
        }
        if paths.socket.utf8.count >= 108 {
            throw ContainerdError(.startFailed, "containerd socket path too long (max 107 bytes): \(paths.socket)")
        }
    }

    private func start(_ executable: String) throws(ContainerdError) -> ChildProcess {
        do {
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: config.paths.logFile))
            defer { try? log.close() }
            try log.seekToEnd()
            let child = try ChildProcess(
                executable: executable, arguments: ["--config", config.paths.configFile], stdout: log, stderr: log)
            logger.info(
                "containerd started",
                metadata: [
                    "pid": "\(child.pid)", "config": "\(config.paths.configFile)", "log": "\(config.paths.logFile)",
                ])
            return child
        } catch {
            throw ContainerdError(.startFailed, "starting \(executable): \(error)", cause: error)
        }
    }
}

/// The child of the current run, readable from other tasks.
private final class CurrentChild: Sendable {
    private let value = Mutex<ChildProcess?>(nil)
    var child: ChildProcess? { value.withLock { $0 } }
    func set(_ child: ChildProcess?) { value.withLock { $0 = child } }
}
