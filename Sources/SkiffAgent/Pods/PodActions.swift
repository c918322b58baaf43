import SkiffCRI

/// What the kubelet does next for one pod: kubelet's `computePodActions`, as a pure function of the pod's spec,
/// what the runtime holds, the back-off table and the time. The `PodWorker` carries the plan out.
struct PodPlan: Sendable, Equatable {
    struct Start: Sendable, Equatable {
        var name: String
        var isInit: Bool
        var restartCount: Int
    }

    struct Kill: Sendable, Equatable {
        var id: String
        var name: String
        var message: String
    }

    /// Stop every container and the sandbox (a new sandbox follows, or the pod is finished).
    var killPod = false
    /// Run a new sandbox with this attempt number.
    var createSandbox: UInt32?
    var start: [Start] = []
    var kill: [Kill] = []
    /// Containers held back by a back-off (`CrashLoopBackOff`) with the message to show.
    var waiting: [String: WaitingReason] = [:]
    /// Reconcile again after this (the shortest back-off left).
    var requeueAfter: Duration?
    /// An init container failed under restartPolicy Never: the pod is Failed.
    var podFailed = false
}

enum PodActions {
    /// - Parameters:
    ///   - unhealthy: containers whose liveness (or startup) probe failed: killed and restarted per policy.
    ///   - now: nanoseconds since the epoch.
    static func compute(
        pod: PodSpecView, observed: ObservedPod, backOff: inout ContainerBackOff, unhealthy: [String: String] = [:],
        now: Int64
    ) -> PodPlan {
        var plan = PodPlan()
        let sandbox = observed.newestSandbox
        let sandboxReady = sandbox?.state == .ready && observed.sandboxes.filter { $0.state == .ready }.count == 1
        if !sandboxReady {
            // A sandbox that died after containers ran, under restartPolicy Never, is not recreated (kubelet): the
            // pod is over once every container has run.
            let ranBefore = !observed.containers.isEmpty
            let allRegularRan = pod.containers.allSatisfy { observed.latest($0.name) != nil }
            plan.killPod =
                observed.sandboxes.contains { $0.state == .ready }
                || observed.containers.contains { $0.state == .running }
            if pod.restartPolicy == .never && ranBefore && allRegularRan { return plan }
            if pod.restartPolicy != .always && allSucceeded(pod, observed) { return plan }
            plan.createSandbox = (sandbox?.metadata.attempt).map { $0 + 1 } ?? 0
            if let first = pod.initContainers.first {
                plan.start = [start(first, observed)]
            } else {
                plan.start = pod.containers.map { start($0, observed) }
            }
            return plan
        }

        // Init containers, in order: each must succeed before the next.
        for container in pod.initContainers {
            guard let latest = observed.latest(container.name) else {
                plan.start.append(start(container, observed))
                return plan
            }
            switch latest.state {
            case .running, .created, .unknown:
                return plan
            case .exited where latest.exitCode == 0:
                continue
            case .exited:
                if pod.restartPolicy == .never {
                    plan.podFailed = true
                    plan.killPod = true
                    return plan
                }
                restart(container, latest, pod: pod, observed: observed, backOff: &backOff, now: now, plan: &plan)
                return plan
            }
        }

        for container in pod.containers {
            guard let latest = observed.latest(container.name) else {
                plan.start.append(start(container, observed))
                continue
            }
            switch latest.state {
            case .running:
                if let message = unhealthy[container.name] {
                    plan.kill.append(PodPlan.Kill(id: latest.id, name: container.name, message: message))
                    if pod.restartPolicy != .never {
                        var restarted = start(container, observed)
                        restarted.restartCount = latest.restartCount + 1
                        plan.start.append(restarted)
                    }
                }
            case .created, .unknown:
                continue
            case .exited:
                let restartIt: Bool
                switch pod.restartPolicy {
                case .always: restartIt = true
                case .onFailure: restartIt = latest.exitCode != 0
                case .never: restartIt = false
                }
                if restartIt {
                    restart(container, latest, pod: pod, observed: observed, backOff: &backOff, now: now, plan: &plan)
                }
            }
        }
        if pod.restartPolicy != .always, pod.containers.allSatisfy({ observed.latest($0.name)?.state == .exited }),
            plan.start.isEmpty, plan.waiting.isEmpty
        {
            // Everything ran to completion: the sandbox goes (kubelet kills a finished pod's sandbox).
            plan.killPod = true
        }
        return plan
    }

    private static func allSucceeded(_ pod: PodSpecView, _ observed: ObservedPod) -> Bool {
        !pod.containers.isEmpty && pod.containers.allSatisfy { observed.latest($0.name)?.succeeded == true }
    }

    private static func start(_ container: PodSpecView.Container, _ observed: ObservedPod) -> PodPlan.Start {
        let previous = observed.latest(container.name)
        return PodPlan.Start(
            name: container.name, isInit: container.isInit, restartCount: previous.map { $0.restartCount + 1 } ?? 0)
    }

    private static func restart(
        _ container: PodSpecView.Container, _ latest: ObservedContainer, pod: PodSpecView, observed: ObservedPod,
        backOff: inout ContainerBackOff, now: Int64, plan: inout PodPlan
    ) {
        let key = ContainerBackOff.key(uid: pod.uid, container: container.name)
        let eventTime = latest.finishedAt > 0 ? latest.finishedAt : now
        if let remaining = backOff.remaining(key, since: eventTime, now: now) {
            let delay = backOff.delay(key)
            plan.waiting[container.name] = WaitingReason(
                reason: "CrashLoopBackOff",
                message:
                    "back-off \(Self.format(delay)) restarting failed container=\(container.name) pod=\(pod.name)_\(pod.namespace)(\(pod.uid))"
            )
            plan.requeueAfter = min(plan.requeueAfter ?? remaining, remaining)
            return
        }
        backOff.next(key, eventTime: eventTime)
        plan.start.append(start(container, observed))
    }

    /// Go's `time.Duration.String()` for whole seconds and minutes (`10s`, `5m0s`).
    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }
}
