import Foundation
import SkiffCRI
import Synchronization

/// An in-memory `ContainerRuntime` with containerd 1.6's semantics, for the pod state machine's tests: the test
/// scripts exits, execSync results, missing images and pull failures, and reads back every call made.
public final class FakeContainerRuntime: ContainerRuntime {
    public struct Sandbox: Sendable {
        public var status: PodSandboxStatus
        public var config: PodSandboxConfig
    }

    public struct Container: Sendable {
        public var status: ContainerStatus
        public var sandboxID: String
        public var config: ContainerConfig
    }

    public struct State: Sendable {
        public var sandboxes: [String: Sandbox] = [:]
        public var containers: [String: Container] = [:]
        /// Present images by the name they were asked for (the tag as given).
        public var images: [String: ImageSummary] = [:]
        /// Images a pull fails for, with the error message.
        public var pullFailures: [String: String] = [:]
        /// Images only these credentials may pull (a registry that wants a login); others fail "unauthorized".
        public var pullCredentials: [String: AuthConfig] = [:]
        /// execSync results by container name (falls back to exit 0).
        public var execResults: [String: ExecResult] = [:]
        /// Every call in order: `runPodSandbox <name>`, `createContainer <name>`, `startContainer <name>`,
        /// `stopContainer <name> <timeout>`, `execSync <name> <command…>`, `pullImage <image>`
        /// (`pullImage <image> as <user>` with credentials), …
        public var calls: [String] = []
        /// Read calls by method name (`listPodSandboxes`, `podSandboxStatus`, `listContainers`, `containerStatus`),
        /// counted apart from `calls` so that the order of the changes stays easy to assert.
        public var reads: [String: Int] = [:]
        public var nextID = 0
        /// Wall time in nanoseconds, advanced by the test (or by `now`).
        public var podIPs: [String] = []
    }

    public let state = Mutex(State())
    /// The wall clock the runtime stamps times with, in nanoseconds since the epoch.
    let now: @Sendable () -> Int64
    private let changes = Mutex<
        [(id: Int, continuation: CheckedContinuation<Void, Never>, check: @Sendable (State) -> Bool)]
    >([])

    public init(now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }) {
        self.now = now
    }

    // MARK: scripting

    /// Makes `image` present (the default `sha256:` id derives from the name).
    public func addImage(_ image: String, id: String? = nil, digest: String? = nil) {
        state.withLock {
            $0.images[image] = ImageSummary(
                id: id ?? "sha256:\(image.hashValue.magnitude)", repoTags: [image],
                repoDigests: digest.map { ["\(Self.repository(image))@\($0)"] } ?? [])
        }
        notify()
    }

    /// The running container `name` of the pod `podUID` exits with `exitCode` (reason `Completed`/`Error` by default).
    public func exit(
        podUID: String, container name: String, exitCode: Int32, reason: String? = nil, message: String = ""
    ) {
        modify { state in
            guard
                let id = state.containers.values.filter({
                    $0.status.labels["io.kubernetes.pod.uid"] == podUID && $0.status.metadata.name == name
                        && $0.status.state == .running
                }).map(\.status.id).first
            else { return }
            state.containers[id]?.status.state = .exited
            state.containers[id]?.status.exitCode = exitCode
            state.containers[id]?.status.finishedAt = now()
            state.containers[id]?.status.reason = reason ?? (exitCode == 0 ? "Completed" : "Error")
            state.containers[id]?.status.message = message
        }
    }

    /// The sandbox of `podUID` dies (its containers exit with 137).
    public func killSandbox(podUID: String) {
        modify { state in
            for (id, sandbox) in state.sandboxes where sandbox.status.metadata.uid == podUID {
                state.sandboxes[id]?.status.state = .notReady
                for (cid, container) in state.containers
                where container.sandboxID == id && container.status.state == .running {
                    state.containers[cid]?.status.state = .exited
                    state.containers[cid]?.status.exitCode = 137
                    state.containers[cid]?.status.reason = "Error"
                    state.containers[cid]?.status.finishedAt = now()
                }
            }
        }
    }

    public var calls: [String] { state.withLock { $0.calls } }

    public var reads: [String: Int] { state.withLock { $0.reads } }

    private func countRead(_ method: String) { state.withLock { $0.reads[method, default: 0] += 1 } }

    /// Returns once `condition` holds for the runtime's state (re-checked after every change), or the task is cancelled.
    public func wait(until condition: @escaping @Sendable (State) -> Bool) async {
        let id = Int.random(in: 0..<Int.max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { condition($0) }
                if ready || Task.isCancelled {
                    continuation.resume()
                    return
                }
                changes.withLock { $0.append((id, continuation, condition)) }
                notify()  // re-check: a change may have slipped in between
            }
        } onCancel: {
            let waiter = changes.withLock { list -> CheckedContinuation<Void, Never>? in
                guard let index = list.firstIndex(where: { $0.id == id }) else { return nil }
                return list.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    private func notify() {
        let snapshot = state.withLock { $0 }
        let ready = changes.withLock { list -> [CheckedContinuation<Void, Never>] in
            let ready = list.filter { $0.check(snapshot) }.map(\.continuation)
            list.removeAll { $0.check(snapshot) }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func modify<T, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = state.withLock { state in
            do throws(E) { return .success(try body(&state)) } catch { return .failure(error) }
        }
        notify()
        return try result.get()
    }

    private func record(_ call: String) { modify { $0.calls.append(call) } }

    static func repository(_ image: String) -> String {
        var name = image
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = String(name[..<colon]) }
        if !name.contains("/") { name = "docker.io/library/" + name }
        return name
    }

    // MARK: ContainerRuntime

    public func version() async throws(RuntimeError) -> RuntimeVersion {
        RuntimeVersion(runtimeName: "fake", runtimeVersion: "0", runtimeAPIVersion: "v1")
    }

    public func status() async throws(RuntimeError) -> [RuntimeCondition] {
        [
            RuntimeCondition(type: RuntimeCondition.runtimeReady, status: true),
            RuntimeCondition(type: RuntimeCondition.networkReady, status: true),
        ]
    }

    public func runPodSandbox(_ config: PodSandboxConfig) async throws(RuntimeError) -> String {
        let time = now()
        return modify { state in
            state.nextID += 1
            let id = "sandbox-\(state.nextID)"
            let ip = config.network == .node ? "" : "10.42.0.\(state.nextID % 250 + 2)"
            state.sandboxes[id] = Sandbox(
                status: PodSandboxStatus(
                    id: id, metadata: config.metadata, state: .ready, createdAt: time, ip: ip, labels: config.labels,
                    annotations: config.annotations),
                config: config)
            state.calls.append("runPodSandbox \(config.metadata.name)")
            return id
        }
    }

    public func stopPodSandbox(id: String) async throws(RuntimeError) {
        let time = now()
        try modify { state throws(RuntimeError) in
            guard state.sandboxes[id] != nil else { throw RuntimeError(.notFound, "sandbox \(id) not found") }
            state.sandboxes[id]?.status.state = .notReady
            for (cid, container) in state.containers
            where container.sandboxID == id && container.status.state != .exited {
                state.containers[cid]?.status.state = .exited
                state.containers[cid]?.status.exitCode = 137
                state.containers[cid]?.status.reason = "Error"
                state.containers[cid]?.status.finishedAt = time
            }
            state.calls.append("stopPodSandbox \(state.sandboxes[id]?.status.metadata.name ?? id)")
        }
    }

    public func removePodSandbox(id: String) async throws(RuntimeError) {
        modify { state in
            if let sandbox = state.sandboxes.removeValue(forKey: id) {
                state.calls.append("removePodSandbox \(sandbox.status.metadata.name)")
            }
            state.containers = state.containers.filter { $0.value.sandboxID != id }
        }
    }

    public func podSandboxStatus(id: String) async throws(RuntimeError) -> PodSandboxStatus {
        countRead("podSandboxStatus")
        guard let sandbox = state.withLock({ $0.sandboxes[id] }) else {
            throw RuntimeError(.notFound, "sandbox \(id) not found")
        }
        return sandbox.status
    }

    public func listPodSandboxes() async throws(RuntimeError) -> [PodSandboxStatus] {
        countRead("listPodSandboxes")
        return state.withLock { state in
            state.sandboxes.values.map { sandbox in
                var status = sandbox.status
                status.ip = ""
                return status
            }.sorted { $0.createdAt < $1.createdAt }
        }
    }

    public func createContainer(
        sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig
    ) async throws(RuntimeError) -> String {
        let time = now()
        return try modify { state throws(RuntimeError) in
            guard state.sandboxes[sandboxID] != nil else {
                throw RuntimeError(.notFound, "sandbox \(sandboxID) not found")
            }
            state.nextID += 1
            let id = "container-\(state.nextID)"
            let image = state.images[config.image]
            state.containers[id] = Container(
                status: ContainerStatus(
                    id: id, metadata: config.metadata, state: .created, createdAt: time, image: config.image,
                    imageRef: image?.id ?? "", labels: config.labels, annotations: config.annotations,
                    logPath: sandboxConfig.logDirectory + "/" + config.logPath),
                sandboxID: sandboxID, config: config)
            state.calls.append("createContainer \(config.metadata.name)")
            return id
        }
    }

    public func startContainer(id: String) async throws(RuntimeError) {
        let time = now()
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id] else {
                throw RuntimeError(.notFound, "container \(id) not found")
            }
            state.containers[id]?.status.state = .running
            state.containers[id]?.status.startedAt = time
            state.calls.append("startContainer \(container.status.metadata.name)")
        }
    }

    public func stopContainer(id: String, timeout: Int64) async throws(RuntimeError) {
        let time = now()
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id] else {
                throw RuntimeError(.notFound, "container \(id) not found")
            }
            state.calls.append("stopContainer \(container.status.metadata.name) \(timeout)")
            guard container.status.state != .exited else { return }
            state.containers[id]?.status.state = .exited
            state.containers[id]?.status.exitCode = 143
            state.containers[id]?.status.reason = "Error"
            state.containers[id]?.status.finishedAt = time
        }
    }

    public func removeContainer(id: String) async throws(RuntimeError) {
        modify { state in
            if let container = state.containers.removeValue(forKey: id) {
                state.calls.append("removeContainer \(container.status.metadata.name)")
            }
        }
    }

    public func listContainers(sandboxID: String?) async throws(RuntimeError) -> [ContainerSummary] {
        countRead("listContainers")
        return state.withLock { state in
            state.containers.values.filter { sandboxID == nil || $0.sandboxID == sandboxID }.map { container in
                ContainerSummary(
                    id: container.status.id, sandboxID: container.sandboxID, metadata: container.status.metadata,
                    image: container.status.image, imageRef: container.status.imageRef, state: container.status.state,
                    createdAt: container.status.createdAt, labels: container.status.labels,
                    annotations: container.status.annotations)
            }.sorted { $0.createdAt < $1.createdAt }
        }
    }

    public func containerStatus(id: String) async throws(RuntimeError) -> ContainerStatus {
        countRead("containerStatus")
        guard let container = state.withLock({ $0.containers[id] }) else {
            throw RuntimeError(.notFound, "container \(id) not found")
        }
        return container.status
    }

    public func execSync(id: String, command: [String], timeout: Int64) async throws(RuntimeError) -> ExecResult {
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id], container.status.state == .running else {
                throw RuntimeError(.notFound, "container \(id) not running")
            }
            state.calls.append("execSync \(container.status.metadata.name) \(command.joined(separator: " "))")
            return state.execResults[container.status.metadata.name] ?? ExecResult(exitCode: 0)
        }
    }

    /// `http://fake-runtime/<kind>/<container name>`; the session itself is not simulated.
    public func exec(id: String, command: [String], streams: StreamOptions) async throws(RuntimeError) -> String {
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id], container.status.state == .running else {
                throw RuntimeError(.notFound, "container \(id) not running")
            }
            state.calls.append("exec \(container.status.metadata.name) \(command.joined(separator: " "))")
            return "http://fake-runtime/exec/\(container.status.metadata.name)"
        }
    }

    public func attach(id: String, streams: StreamOptions) async throws(RuntimeError) -> String {
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id], container.status.state == .running else {
                throw RuntimeError(.notFound, "container \(id) not running")
            }
            state.calls.append("attach \(container.status.metadata.name)")
            return "http://fake-runtime/attach/\(container.status.metadata.name)"
        }
    }

    public func portForward(sandboxID: String, ports: [Int32]) async throws(RuntimeError) -> String {
        try modify { state throws(RuntimeError) in
            guard state.sandboxes[sandboxID] != nil else {
                throw RuntimeError(.notFound, "sandbox \(sandboxID) not found")
            }
            state.calls.append("portForward \(sandboxID) \(ports.map(String.init).joined(separator: ","))")
            return "http://fake-runtime/portforward/\(sandboxID)"
        }
    }

    public func reopenContainerLog(id: String) async throws(RuntimeError) {
        try modify { state throws(RuntimeError) in
            guard let container = state.containers[id] else {
                throw RuntimeError(.notFound, "container \(id) not found")
            }
            state.calls.append("reopenContainerLog \(container.status.metadata.name)")
        }
    }

    public func imageStatus(_ image: String) async throws(RuntimeError) -> ImageSummary? {
        modify { state in
            state.calls.append("imageStatus \(image)")
            return state.images[image]
        }
    }

    public func pullImage(
        _ image: String, auth: AuthConfig?, sandboxConfig: PodSandboxConfig?
    ) async throws(RuntimeError) -> String {
        let failure = modify { state -> String? in
            state.calls.append("pullImage \(image)" + (auth.map { " as \($0.username)" } ?? ""))
            if let required = state.pullCredentials[image], required != auth {
                return "failed to resolve reference \"\(image)\": pulling from host: 401 Unauthorized"
            }
            return state.pullFailures[image]
        }
        if let failure { throw RuntimeError(.failed, failure) }
        addImage(image)
        return state.withLock { $0.images[image]?.id ?? "" }
    }

    public func listImages() async throws(RuntimeError) -> [ImageSummary] {
        state.withLock { Array($0.images.values) }
    }

    public func updatePodCIDR(_ cidr: String) async throws(RuntimeError) {}
}
