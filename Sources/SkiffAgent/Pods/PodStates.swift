import SkiffModel
import Synchronization

/// What the pod workers remember between reconciles, per pod uid: back-off tables, why containers wait, probe
/// results and the last status written. Short synchronous sections only.
final class PodStates: Sendable {
    struct Pod: Sendable {
        var waiting: [String: WaitingReason] = [:]
        var readiness: [String: Bool] = [:]
        var startup: [String: Bool] = [:]
        /// Liveness/startup failures not yet acted upon: container name → event message.
        var unhealthy: [String: String] = [:]
        var lastStatus: JSON?
        var podFailed = false
        /// Running containers as last observed: name → (id, startedAt in ns), for the probes.
        var running: [String: RunningContainer] = [:]
        var podIP = ""
        /// Probe bookkeeping by "<container>/<kind>".
        var probes: [String: ProbeState] = [:]
    }

    struct RunningContainer: Sendable, Equatable {
        var id: String
        var startedAt: Int64
    }

    struct ProbeState: Sendable, Equatable {
        var containerID: String
        var nextAt: Int64
        var successes = 0
        var failures = 0
    }

    struct State: Sendable {
        var crashBackOff = ContainerBackOff()
        var imageBackOff = ContainerBackOff()
        var pods: [String: Pod] = [:]
    }

    let state = Mutex(State())

    func pod(_ uid: String) -> Pod { state.withLock { $0.pods[uid] ?? Pod() } }

    func update<T>(_ uid: String, _ body: (inout Pod) -> T) -> T {
        state.withLock { body(&$0.pods[uid, default: Pod()]) }
    }

    func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    func forget(_ uid: String) {
        state.withLock { state in
            state.pods[uid] = nil
            state.crashBackOff.forget(uid: uid)
            state.imageBackOff.forget(uid: uid)
        }
    }
}
