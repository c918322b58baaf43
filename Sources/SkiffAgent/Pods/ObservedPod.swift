import SkiffCRI

/// One container of a pod as the runtime reports it, reduced to what the state machine and the status need.
struct ObservedContainer: Sendable, Equatable {
    var id: String
    var sandboxID: String
    var name: String
    /// The kubelet's restart count of this container instance (annotation `io.kubernetes.container.restartCount`).
    var restartCount: Int
    var state: ContainerState
    /// Nanoseconds since the epoch; 0 when not reached.
    var createdAt: Int64
    var startedAt: Int64
    var finishedAt: Int64
    var exitCode: Int32
    var reason: String
    var message: String
    var image: String
    /// As `status.containerStatuses[].imageID` shows it: `docker.io/library/busybox@sha256:…` or the image ref.
    var imageID: String

    init(
        id: String, sandboxID: String = "", name: String, restartCount: Int = 0, state: ContainerState,
        createdAt: Int64 = 0,
        startedAt: Int64 = 0, finishedAt: Int64 = 0, exitCode: Int32 = 0, reason: String = "", message: String = "",
        image: String = "", imageID: String = ""
    ) {
        self.id = id
        self.sandboxID = sandboxID
        self.name = name
        self.restartCount = restartCount
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.image = image
        self.imageID = imageID
    }

    var succeeded: Bool { state == .exited && exitCode == 0 }
}

/// Everything the runtime holds for one pod: its sandboxes (newest last) and its containers across them.
struct ObservedPod: Sendable, Equatable {
    var sandboxes: [PodSandboxStatus]
    /// The newest sandbox's IP (from `podSandboxStatus`).
    var podIP: String
    var containers: [ObservedContainer]

    init(sandboxes: [PodSandboxStatus] = [], podIP: String = "", containers: [ObservedContainer] = []) {
        self.sandboxes = sandboxes
        self.podIP = podIP
        self.containers = containers
    }

    var newestSandbox: PodSandboxStatus? { sandboxes.max { $0.createdAt < $1.createdAt } }

    /// The containers named `name`, newest first.
    func history(of name: String) -> [ObservedContainer] {
        containers.filter { $0.name == name }.sorted {
            ($0.restartCount, $0.createdAt) > ($1.restartCount, $1.createdAt)
        }
    }

    func latest(_ name: String) -> ObservedContainer? { history(of: name).first }
}

/// Why a container is waiting, as `state.waiting` shows it.
struct WaitingReason: Sendable, Equatable {
    var reason: String
    var message: String
}
