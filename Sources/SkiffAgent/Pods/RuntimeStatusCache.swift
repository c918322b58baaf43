import SkiffCRI
import Synchronization

/// What the runtime said about things that do not change while they stay in one state, so that a pod's sync asks
/// again only after a change: a container's status while the listing shows it in the same state (its start time,
/// exit code and reason are fixed once reached), a sandbox's IP (fixed for its life), and an image id's repo digest
/// (an image id is its content). Without it a steady node made a `ContainerStatus` and an `ImageStatus` call per
/// container and a `PodSandboxStatus` per pod on every sync. Entries of containers and sandboxes the runtime no
/// longer lists are dropped by `retain(containers:sandboxes:)`.
final class RuntimeStatusCache: Sendable {
    private struct State {
        var containers: [String: ContainerStatus] = [:]
        var sandboxIPs: [String: String] = [:]
        var imageIDs: [String: String] = [:]
    }

    private let state = Mutex(State())

    /// The cached status of `summary`'s container when the listing still shows it in that state.
    func container(_ summary: ContainerSummary) -> ContainerStatus? {
        state.withLock { state in
            guard let status = state.containers[summary.id], status.state == summary.state else { return nil }
            return status
        }
    }

    func store(_ status: ContainerStatus) { state.withLock { $0.containers[status.id] = status } }

    func sandboxIP(_ id: String) -> String? { state.withLock { $0.sandboxIPs[id] } }

    func storeSandboxIP(_ ip: String, id: String) { state.withLock { $0.sandboxIPs[id] = ip } }

    /// `status.containerStatuses[].imageID` of the image with id `imageRef`.
    func imageID(_ imageRef: String) -> String? { state.withLock { $0.imageIDs[imageRef] } }

    func storeImageID(_ imageID: String, imageRef: String) { state.withLock { $0.imageIDs[imageRef] = imageID } }

    /// Forgets containers and sandboxes outside a complete listing of the runtime.
    func retain(containers: Set<String>, sandboxes: Set<String>) {
        state.withLock { state in
            state.containers = state.containers.filter { containers.contains($0.key) }
            state.sandboxIPs = state.sandboxIPs.filter { sandboxes.contains($0.key) }
        }
    }
}
