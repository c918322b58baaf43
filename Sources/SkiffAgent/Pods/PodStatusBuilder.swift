import Foundation
import SkiffCRI
import SkiffModel

/// Computes a pod's status the way kubelet reports it (`generateAPIPodStatus` + `getPhase`), from the spec, what the
/// runtime holds, why containers wait, and probe results. Pure: the time comes in as a timestamp string.
struct PodStatusBuilder {
    var pod: PodSpecView
    var observed: ObservedPod
    /// Waiting reasons the worker saw (image pull errors, config errors, back-off), by container name.
    var waiting: [String: WaitingReason] = [:]
    /// Readiness by container name; a running container without an entry is ready unless it has a readiness probe.
    var readiness: [String: Bool] = [:]
    /// Startup probe passed, by container name.
    var startup: [String: Bool] = [:]
    var nodeIP: String
    var now: String
    /// `status.startTime` once first set.
    var podFailed = false

    func build() -> JSON {
        let old = pod.json["status"]
        var status: JSON = .emptyObject
        let initStatuses = pod.initContainers.map { containerStatus($0) }
        let statuses = pod.containers.map { containerStatus($0) }
        let phase = computePhase(initStatuses: initStatuses, statuses: statuses, old: old["phase"].stringValue)
        status["phase"] = .string(phase)
        status["hostIP"] = .string(nodeIP)
        status["hostIPs"] = [["ip": .string(nodeIP)]]
        let podIP = pod.hostNetwork ? nodeIP : observed.podIP
        if !podIP.isEmpty {
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
        } else if let ip = old["podIP"].stringValue {
            status["podIP"] = .string(ip)
            status["podIPs"] = old["podIPs"]
        }
        status["startTime"] = old["startTime"].isNull ? .string(now) : old["startTime"]
        if !old["qosClass"].isNull { status["qosClass"] = old["qosClass"] }

        var holder: JSON = ["status": ["conditions": old["conditions"].isNull ? .emptyArray : old["conditions"]]]
        let initIncomplete = zip(pod.initContainers, initStatuses).filter {
            $0.1["state"]["terminated"]["exitCode"].intValue != 0
        }
        .map(\.0.name)
        let sandboxReady = observed.newestSandbox?.state == .ready
        PodConditions.set(&holder, type: "PodReadyToStartContainers", status: sandboxReady ? "True" : "False", at: now)
        if initIncomplete.isEmpty {
            PodConditions.set(&holder, type: "Initialized", status: "True", at: now)
        } else {
            PodConditions.set(
                &holder, type: "Initialized", status: "False", at: now, reason: "ContainersNotInitialized",
                message: "containers with incomplete status: [\(initIncomplete.joined(separator: " "))]")
        }
        let unready = zip(pod.containers, statuses).filter { $0.1["ready"].boolValue != true }.map(\.0.name)
        if phase == "Succeeded" || phase == "Failed" {
            for type in ["ContainersReady", "Ready"] {
                PodConditions.set(&holder, type: type, status: "False", at: now, reason: "PodCompleted")
            }
        } else if unready.isEmpty && initIncomplete.isEmpty {
            PodConditions.set(&holder, type: "ContainersReady", status: "True", at: now)
            PodConditions.set(&holder, type: "Ready", status: "True", at: now)
        } else {
            let message = "containers with unready status: [\(unready.joined(separator: " "))]"
            PodConditions.set(
                &holder, type: "ContainersReady", status: "False", at: now, reason: "ContainersNotReady",
                message: message)
            PodConditions.set(
                &holder, type: "Ready", status: "False", at: now, reason: "ContainersNotReady", message: message)
        }
        if !(holder["status"]["conditions"].arrayValue ?? []).contains(where: {
            $0["type"].stringValue == "PodScheduled"
        }) {
            PodConditions.set(&holder, type: "PodScheduled", status: "True", at: now)
        }
        status["conditions"] = holder["status"]["conditions"]
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        status["containerStatuses"] = .array(statuses)
        return status
    }

    private func containerStatus(_ container: PodSpecView.Container) -> JSON {
        let history = observed.history(of: container.name)
        let latest = history.first
        var status: JSON = [
            "name": .string(container.name), "image": .string(container.image),
            "imageID": .string(latest?.imageID ?? ""), "restartCount": .int(latest?.restartCount ?? 0),
            "ready": false, "started": false, "lastState": .emptyObject,
        ]
        if let latest { status["containerID"] = .string("containerd://\(latest.id)") }
        if history.count > 1 { status["lastState"] = ["terminated": terminated(history[1])] }

        if let reason = waiting[container.name] {
            status["state"] = ["waiting": ["reason": .string(reason.reason), "message": .string(reason.message)]]
            if let latest, latest.state == .exited {
                status["lastState"] = ["terminated": terminated(latest)]
            }
            return status
        }
        guard let latest else {
            let initDone = container.isInit || initContainersDone
            status["state"] = ["waiting": ["reason": .string(initDone ? "ContainerCreating" : "PodInitializing")]]
            return status
        }
        switch latest.state {
        case .running:
            status["state"] = ["running": ["startedAt": .string(Self.timestamp(latest.startedAt))]]
            let started = startup[container.name] ?? true
            status["started"] = .bool(started)
            if !container.isInit {
                let hasReadinessProbe = !container.json["readinessProbe"].isNull
                status["ready"] = .bool(started && (readiness[container.name] ?? !hasReadinessProbe))
            }
        case .exited:
            status["state"] = ["terminated": terminated(latest)]
            status["ready"] = .bool(container.isInit && latest.exitCode == 0)
        case .created, .unknown:
            status["state"] = ["waiting": ["reason": "ContainerCreating"]]
        }
        return status
    }

    private var initContainersDone: Bool {
        pod.initContainers.allSatisfy { observed.latest($0.name)?.succeeded == true }
    }

    private func terminated(_ container: ObservedContainer) -> JSON {
        var terminated: JSON = [
            "exitCode": .int(Int(container.exitCode)),
            "reason": .string(
                container.reason.isEmpty ? (container.exitCode == 0 ? "Completed" : "Error") : container.reason),
            "startedAt": container.startedAt > 0 ? .string(Self.timestamp(container.startedAt)) : .null,
            "finishedAt": container.finishedAt > 0 ? .string(Self.timestamp(container.finishedAt)) : .null,
            "containerID": .string("containerd://\(container.id)"),
        ]
        if !container.message.isEmpty { terminated["message"] = .string(container.message) }
        return terminated
    }

    /// kubelet's `getPhase`.
    private func computePhase(initStatuses: [JSON], statuses: [JSON], old: String?) -> String {
        if old == "Succeeded" || old == "Failed" { return old! }
        if podFailed { return "Failed" }
        let initFailed = initStatuses.contains { ($0["state"]["terminated"]["exitCode"].intValue ?? 0) != 0 }
        if initFailed && pod.restartPolicy == .never { return "Failed" }
        let initPending = initStatuses.contains { $0["state"]["terminated"]["exitCode"].intValue != 0 }
        if initPending { return "Pending" }
        var running = 0
        var waiting = 0
        var stopped = 0
        var succeeded = 0
        for status in statuses {
            let state = status["state"]
            if !state["running"].isNull {
                running += 1
            } else if !state["terminated"].isNull {
                stopped += 1
                if state["terminated"]["exitCode"].intValue == 0 { succeeded += 1 }
            } else if !status["lastState"]["terminated"].isNull {
                stopped += 1
            } else {
                waiting += 1
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if pod.restartPolicy == .always { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if pod.restartPolicy == .never { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    /// RFC 3339 seconds, as the API server writes times.
    static func timestamp(_ nanos: Int64) -> String {
        KubeTimestamp.string(Date(timeIntervalSince1970: Double(nanos / 1_000_000_000)))
    }
}
