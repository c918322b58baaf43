import Foundation

extension RowPrinter {
    /// Pods: `Name, Ready, Status, Restarts, Age`; wide `IP, Node, Nominated Node, Readiness Gates`.
    static let pod = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Ready", description: "The aggregate readiness state of this pod for accepting traffic."),
            TableColumn(name: "Status", description: "The aggregate status of the containers in this pod."),
            TableColumn(
                name: "Restarts",
                description: "The number of times the containers in this pod have been restarted, and how long ago "
                    + "the last restart was."),
            .age,
            TableColumn(name: "IP", description: "The first IP address allocated to the pod.", priority: 1),
            TableColumn(name: "Node", description: "The node the pod is bound to.", priority: 1),
            TableColumn(
                name: "Nominated Node", description: "The node the scheduler nominated for a preempting pod.",
                priority: 1),
            TableColumn(
                name: "Readiness Gates", description: "Readiness gates whose condition is true, of all gates.",
                priority: 1),
        ],
        cells: { pod, now in PodSummary(pod).cells(now: now) },
        conditions: { pod in
            switch pod["status"]["phase"].stringValue {
            case "Succeeded": completedCondition(reason: "Succeeded", message: "The pod has completed successfully.")
            case "Failed": completedCondition(reason: "Failed", message: "The pod failed.")
            default: nil
            }
        })

    private static func completedCondition(reason: String, message: String) -> JSON {
        [["type": "Completed", "status": "True", "reason": .string(reason), "message": .string(message)]]
    }
}

/// The aggregate state `kubectl get pods` shows, computed as upstream's `printPod` does: the phase, overridden by
/// init container progress, then by the last container reporting a waiting or terminated reason, then by deletion.
struct PodSummary {
    var ready = 0
    var total = 0
    var restarts = 0
    var lastRestart: Date?
    var reason: String

    private let pod: JSON

    init(_ pod: JSON) {
        self.pod = pod
        let spec = pod["spec"]
        let status = pod["status"]
        let phase = status["phase"].stringValue ?? ""
        reason = TableCells.string(status["reason"], or: phase)
        let conditions = status["conditions"].arrayValue ?? []
        for condition in conditions
        where condition["type"].stringValue == "PodScheduled" && condition["reason"].stringValue == "SchedulingGated" {
            reason = "SchedulingGated"
        }

        let initSpecs = spec["initContainers"].arrayValue ?? []
        // Sidecars (init containers with restartPolicy Always) count as regular containers once started.
        var sidecars = Set<String>()
        for container in initSpecs where container["restartPolicy"].stringValue == "Always" {
            sidecars.insert(container["name"].stringValue ?? "")
        }
        total = (spec["containers"].arrayValue ?? []).count + sidecars.count

        var sidecarRestarts = 0
        var lastSidecarRestart: Date?
        var initializing = false
        for (index, container) in (status["initContainerStatuses"].arrayValue ?? []).enumerated() {
            let restartCount = Int(TableCells.int(container["restartCount"]))
            let finished = Self.lastTerminationFinish(container)
            let isSidecar = sidecars.contains(container["name"].stringValue ?? "")
            restarts += restartCount
            lastRestart = Self.later(lastRestart, finished)
            if isSidecar {
                sidecarRestarts += restartCount
                lastSidecarRestart = Self.later(lastSidecarRestart, finished)
            }
            let state = container["state"]
            let terminated = state["terminated"]
            let waitingReason = state["waiting"]["reason"].stringValue ?? ""
            if terminated.objectValue != nil, TableCells.int(terminated["exitCode"]) == 0 {
                continue
            }
            if isSidecar, container["started"].boolValue == true {
                if container["ready"].boolValue == true { ready += 1 }
                continue
            }
            if terminated.objectValue != nil {
                if let terminatedReason = terminated["reason"].stringValue, !terminatedReason.isEmpty {
                    reason = "Init:" + terminatedReason
                } else if TableCells.int(terminated["signal"]) != 0 {
                    reason = "Init:Signal:\(TableCells.int(terminated["signal"]))"
                } else {
                    reason = "Init:ExitCode:\(TableCells.int(terminated["exitCode"]))"
                }
            } else if !waitingReason.isEmpty, waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initSpecs.count)"
            }
            initializing = true
            break
        }

        let initialized = TableCells.conditionStatus(status["conditions"], type: "Initialized") == "True"
        if !initializing || initialized {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            // Walk backwards so the first container's reason wins, as upstream does.
            for container in (status["containerStatuses"].arrayValue ?? []).reversed() {
                restarts += Int(TableCells.int(container["restartCount"]))
                lastRestart = Self.later(lastRestart, Self.lastTerminationFinish(container))
                let state = container["state"]
                let terminated = state["terminated"]
                if let waitingReason = state["waiting"]["reason"].stringValue, !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminatedReason = terminated["reason"].stringValue, !terminatedReason.isEmpty {
                    reason = terminatedReason
                } else if terminated.objectValue != nil {
                    let signal = TableCells.int(terminated["signal"])
                    reason = signal != 0 ? "Signal:\(signal)" : "ExitCode:\(TableCells.int(terminated["exitCode"]))"
                } else if container["ready"].boolValue == true, state["running"].objectValue != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                reason =
                    TableCells.conditionStatus(status["conditions"], type: "Ready") == "True" ? "Running" : "NotReady"
            }
        }

        let deleting = !pod["metadata"]["deletionTimestamp"].isNull
        if deleting, status["reason"].stringValue == "NodeLost" {
            reason = "Unknown"
        } else if deleting, phase != "Succeeded", phase != "Failed" {
            reason = "Terminating"
        }
    }

    func cells(now: Date) -> [JSON] {
        let spec = pod["spec"]
        let status = pod["status"]
        var restartText = String(restarts)
        if restarts != 0, let lastRestart {
            restartText += " (\(HumanDuration.format(now.timeIntervalSince(lastRestart))) ago)"
        }
        // Older writers set only podIP; upstream's internal conversion fills podIPs from it.
        let ip = status["podIPs"][0]["ip"].stringValue ?? status["podIP"].stringValue ?? ""
        var readinessGates = "<none>"
        if let gates = spec["readinessGates"].arrayValue, !gates.isEmpty {
            let conditions = status["conditions"].arrayValue ?? []
            let passing = gates.filter { gate in
                let type = gate["conditionType"].stringValue
                return conditions.first { $0["type"].stringValue == type }?["status"].stringValue == "True"
            }
            readinessGates = "\(passing.count)/\(gates.count)"
        }
        return [
            TableCells.name(pod),
            .string("\(ready)/\(total)"),
            .string(reason),
            .string(restartText),
            TableCells.age(pod, now: now),
            .string(ip.isEmpty ? "<none>" : ip),
            .string(TableCells.string(spec["nodeName"], or: "<none>")),
            .string(TableCells.string(status["nominatedNodeName"], or: "<none>")),
            .string(readinessGates),
        ]
    }

    private static func lastTerminationFinish(_ container: JSON) -> Date? {
        container["lastState"]["terminated"]["finishedAt"].stringValue.flatMap(KubeTimestamp.date)
    }

    private static func later(_ a: Date?, _ b: Date?) -> Date? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }
}
