import SkiffModel

/// The fields of a Pod the scheduler reads, parsed once per watch event so scheduling never touches JSON.
public struct PodView: Sendable {
    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid`.
    public var uid: String
    /// `spec.nodeName`; nil while unbound.
    public var nodeName: String?
    /// `spec.schedulerName`; `default-scheduler` when empty.
    public var schedulerName: String
    /// `status.phase`, if set.
    public var phase: String?
    /// Whether `metadata.deletionTimestamp` is set.
    public var isTerminating: Bool
    /// Whether `spec.schedulingGates` holds any gate (the pod must wait).
    public var hasSchedulingGates: Bool
    /// `spec.priority` (0 when unset).
    public var priority: Int32
    /// `spec.preemptionPolicy` (`PreemptLowerPriority` when unset).
    public var preemptionPolicy: String
    /// What the pod requests, as the resource-fit filter counts it (init-container rule and overhead applied).
    public var requests: ResourceAmounts
    /// CPU and memory requests with upstream's non-zero defaults (100m, 200Mi) for containers that set none,
    /// as scoring counts them.
    public var nonZeroRequests: ResourceAmounts
    /// `spec.nodeSelector`.
    public var nodeSelector: [String: String]
    /// `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    public var requiredNodeAffinity: NodeSelector?
    /// `spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    public var preferredNodeAffinity: [PreferredSchedulingTerm]
    /// `spec.tolerations`.
    public var tolerations: [Toleration]
    /// Host ports of the containers (and of restartable init containers, which keep running).
    public var hostPorts: [HostPort]
    /// The controlling owner reference, if any.
    public var controller: ControllerReference?

    /// The scheduler name upstream defaults to.
    public static let defaultSchedulerName = "default-scheduler"
    /// The CPU a container without a CPU request counts as when scoring, in millicores.
    public static let defaultMilliCPURequest: Int64 = 100
    /// The memory a container without a memory request counts as when scoring, in bytes.
    public static let defaultMemoryRequest: Int64 = 200 * 1024 * 1024

    /// Reads the fields from a Pod object; missing or malformed fields take their API defaults.
    public init(_ pod: JSON) {
        let metadata = pod["metadata"]
        let spec = pod["spec"]
        namespace = metadata["namespace"].stringValue ?? ""
        name = metadata["name"].stringValue ?? ""
        uid = metadata["uid"].stringValue ?? ""
        let boundNode = spec["nodeName"].stringValue ?? ""
        nodeName = boundNode.isEmpty ? nil : boundNode
        let scheduler = spec["schedulerName"].stringValue ?? ""
        schedulerName = scheduler.isEmpty ? Self.defaultSchedulerName : scheduler
        phase = pod["status"]["phase"].stringValue
        isTerminating = metadata["deletionTimestamp"].stringValue != nil
        hasSchedulingGates = !(spec["schedulingGates"].arrayValue?.isEmpty ?? true)
        priority = Int32(clamping: spec["priority"].int64Value ?? 0)
        preemptionPolicy = spec["preemptionPolicy"].stringValue ?? "PreemptLowerPriority"

        let containers = spec["containers"].arrayValue ?? []
        let initContainers = spec["initContainers"].arrayValue ?? []
        let overhead = ResourceAmounts(resourceList: spec["overhead"])
        requests = Self.aggregateRequests(
            containers: containers, initContainers: initContainers, overhead: overhead, nonZero: false)
        let nonZero = Self.aggregateRequests(
            containers: containers, initContainers: initContainers, overhead: overhead, nonZero: true)
        nonZeroRequests = ResourceAmounts(milliCPU: nonZero.milliCPU, memory: nonZero.memory)

        var selector: [String: String] = [:]
        if let object = spec["nodeSelector"].objectValue {
            for (key, value) in object { if let text = value.stringValue { selector[key] = text } }
        }
        nodeSelector = selector
        let nodeAffinity = spec["affinity"]["nodeAffinity"]
        let required = nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"]
        requiredNodeAffinity = required.isNull ? nil : NodeSelector(json: required)
        preferredNodeAffinity =
            nodeAffinity["preferredDuringSchedulingIgnoredDuringExecution"].arrayValue?.map(
                PreferredSchedulingTerm.init(json:)) ?? []
        tolerations = spec["tolerations"].arrayValue?.map(Toleration.init(json:)) ?? []

        var ports: [HostPort] = []
        let portHolders = containers + initContainers.filter { $0["restartPolicy"].stringValue == "Always" }
        for container in portHolders {
            for port in container["ports"].arrayValue ?? [] {
                guard let hostPort = port["hostPort"].int64Value, hostPort > 0, hostPort <= Int64(Int32.max) else {
                    continue
                }
                ports.append(
                    HostPort(
                        hostIP: port["hostIP"].stringValue ?? "", protocol: port["protocol"].stringValue ?? "",
                        port: Int32(hostPort)))
            }
        }
        hostPorts = ports

        controller = nil
        if let reference = pod.controllerReference, let ownerUID = reference["uid"].stringValue, !ownerUID.isEmpty {
            controller = ControllerReference(
                uid: ownerUID, kind: reference["kind"].stringValue ?? "", name: reference["name"].stringValue ?? "")
        }
    }

    /// The key the scheduler cache files the pod under: its uid, or `namespace/name` when it has none.
    public var key: String { uid.isEmpty ? "\(namespace)/\(name)" : uid }

    /// Whether the pod has finished (`Succeeded` or `Failed`) and no longer holds node resources.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    /// Whether the pod waits for `schedulerName` to place it: unbound, not finished, not being deleted, ungated.
    public func needsScheduling(by schedulerName: String = PodView.defaultSchedulerName) -> Bool {
        nodeName == nil && self.schedulerName == schedulerName && !isTerminal && !isTerminating && !hasSchedulingGates
    }

    /// Whether the pod may preempt others (`preemptionPolicy` is not `Never`).
    public var mayPreempt: Bool { preemptionPolicy != "Never" }

    /// Whether `spec.nodeSelector` and the required node affinity both accept the node (upstream's
    /// `GetRequiredNodeAffinity(pod).Match`); DaemonSet controllers use this too.
    public func matchesNodeSelectorAndAffinity(labels: [String: String], nodeName: String) -> Bool {
        for (key, value) in nodeSelector where labels[key] != value { return false }
        if let requiredNodeAffinity, !requiredNodeAffinity.matches(labels: labels, nodeName: nodeName) { return false }
        return true
    }
}

extension PodView {
    /// Upstream's `PodRequests`: containers summed; each init container's request (plus the restartable init
    /// containers started before it) raises the total to at least that; restartable init containers also add to
    /// the sum; overhead on top.
    static func aggregateRequests(
        containers: [JSON], initContainers: [JSON], overhead: ResourceAmounts, nonZero: Bool
    ) -> ResourceAmounts {
        var total = ResourceAmounts()
        for container in containers { total.add(containerRequests(container, nonZero: nonZero)) }
        var restartable = ResourceAmounts()
        var initMaximum = ResourceAmounts()
        for container in initContainers {
            let requests = containerRequests(container, nonZero: nonZero)
            var inUse: ResourceAmounts
            if container["restartPolicy"].stringValue == "Always" {
                total.add(requests)
                restartable.add(requests)
                inUse = restartable
            } else {
                inUse = requests
                inUse.add(restartable)
            }
            initMaximum.formMaximum(inUse)
        }
        total.formMaximum(initMaximum)
        total.add(overhead)
        return total
    }

    /// A container's requests; a resource with a limit but no request requests its limit, as API defaulting
    /// does, and with `nonZero` a missing CPU or memory request takes the scoring default.
    static func containerRequests(_ container: JSON, nonZero: Bool) -> ResourceAmounts {
        let resources = container["resources"]
        var list = resources["requests"].objectValue ?? JSONObject()
        if let limits = resources["limits"].objectValue {
            for (name, value) in limits where !list.contains(name) { list.updateValue(value, forKey: name) }
        }
        var amounts = ResourceAmounts(resourceList: .object(list))
        if nonZero {
            if !list.contains("cpu") { amounts.milliCPU = defaultMilliCPURequest }
            if !list.contains("memory") { amounts.memory = defaultMemoryRequest }
        }
        return amounts
    }
}
