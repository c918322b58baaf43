import SkiffModel

/// A taint as `--node-taint key[=value]:Effect` gives it.
public struct NodeTaint: Sendable, Equatable {
    public var key: String
    public var value: String
    public var effect: String

    public static let effects: Set<String> = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

    /// Parses `key=value:Effect` or `key:Effect`; nil when malformed or the effect is unknown.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let effect = String(text[text.index(after: colon)...])
        let pair = text[..<colon]
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard Self.effects.contains(effect), let key = parts.first, !key.isEmpty else { return nil }
        self.key = String(key)
        self.value = parts.count > 1 ? String(parts[1]) : ""
        self.effect = effect
    }

    var json: JSON {
        var taint: JSON = ["key": .string(key), "effect": .string(effect)]
        if !value.isEmpty { taint["value"] = .string(value) }
        return taint
    }
}

/// Everything about a node that does not change while the agent runs.
public struct NodeDescription: Sendable, Equatable {
    public var name: String
    /// `--node-label` values and the role label; the well-known labels are added by `NodeObject`.
    public var labels: [String: String]
    /// Set at registration and kept at every start (`node.skiff.io/autonomy` from `--autonomous`).
    public var annotations: [String: String]
    public var taints: [NodeTaint]
    public var internalIP: String
    public var machine: MachineInfo
    /// `containerd://1.6.20~ds1`
    public var containerRuntimeVersion: String
    public var kubeletVersion: String
    public var kubeletPort: Int
    /// Maximum pods (kubelet's default 110).
    public var maxPods: Int

    public init(
        name: String, labels: [String: String] = [:], annotations: [String: String] = [:], taints: [NodeTaint] = [],
        internalIP: String, machine: MachineInfo,
        containerRuntimeVersion: String, kubeletVersion: String, kubeletPort: Int = 10250, maxPods: Int = 110
    ) {
        self.name = name
        self.labels = labels
        self.annotations = annotations
        self.taints = taints
        self.internalIP = internalIP
        self.machine = machine
        self.containerRuntimeVersion = containerRuntimeVersion
        self.kubeletVersion = kubeletVersion
        self.kubeletPort = kubeletPort
        self.maxPods = maxPods
    }
}

/// What the agent observed since the last status sync.
public struct NodeHealth: Sendable, Equatable {
    /// nil when the runtime is ready; otherwise why not (`container runtime network not ready: …`).
    public var notReadyMessage: String?
    public var memoryPressure: Bool
    public var diskPressure: Bool
    public var pidPressure: Bool

    public init(
        notReadyMessage: String? = nil, memoryPressure: Bool = false, diskPressure: Bool = false,
        pidPressure: Bool = false
    ) {
        self.notReadyMessage = notReadyMessage
        self.memoryPressure = memoryPressure
        self.diskPressure = diskPressure
        self.pidPressure = pidPressure
    }
}

/// The Node object and status a kubelet writes, as a pure function of the description and health.
public enum NodeObject {
    /// The object the agent registers.
    public static func node(_ description: NodeDescription, health: NodeHealth, now: String) -> JSON {
        var labels = JSONObject()
        labels["kubernetes.io/hostname"] = .string(description.name)
        labels["kubernetes.io/os"] = "linux"
        labels["kubernetes.io/arch"] = .string(description.machine.architecture)
        labels["beta.kubernetes.io/os"] = "linux"
        labels["beta.kubernetes.io/arch"] = .string(description.machine.architecture)
        for (key, value) in description.labels.sorted(by: { $0.key < $1.key }) { labels[key] = .string(value) }
        var spec = JSON.emptyObject
        if !description.taints.isEmpty { spec["taints"] = .array(description.taints.map(\.json)) }
        var node: JSON = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(description.name), "labels": .object(labels)],
            "spec": spec,
            "status": status(description, health: health, now: now, previous: nil),
        ]
        if !description.annotations.isEmpty { node["metadata"]["annotations"] = ownedAnnotations(description) }
        return node
    }

    /// The annotations the agent sets at registration and puts back at every start.
    public static func ownedAnnotations(_ description: NodeDescription) -> JSON {
        .object(JSONObject(description.annotations.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }

    /// What `--autonomous` sets (the node lifecycle controller also honours OpenYurt's annotation).
    public static let autonomyAnnotation = "node.skiff.io/autonomy"

    /// The labels a kubelet keeps on its node at every start.
    public static func ownedLabels(_ description: NodeDescription) -> JSON {
        node(description, health: NodeHealth(), now: "")["metadata"]["labels"]
    }

    /// The node's status. Conditions keep their `lastTransitionTime` from `previous` (the server's copy) when their
    /// status did not change.
    public static func status(_ description: NodeDescription, health: NodeHealth, now: String, previous: JSON?) -> JSON
    {
        let machine = description.machine
        let capacity: JSON = [
            "cpu": .string("\(machine.cpus)"), "memory": .string("\(machine.memoryBytes / 1024)Ki"),
            "ephemeral-storage": .string("\(machine.storageBytes / 1024)Ki"), "pods": .string("\(description.maxPods)"),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
        ]
        // kubelet's default reservations: hard eviction at 100Mi memory and 10% of the node filesystem.
        let allocatableMemory = max(0, machine.memoryBytes - 100 * 1024 * 1024)
        let allocatableStorage = machine.storageBytes * 9 / 10
        let allocatable: JSON = [
            "cpu": .string("\(machine.cpus)"), "memory": .string("\(allocatableMemory / 1024)Ki"),
            "ephemeral-storage": .string("\(allocatableStorage)"), "pods": .string("\(description.maxPods)"),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
        ]
        return [
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": conditions(health, now: now, previous: previous?["conditions"]),
            "addresses": [
                ["type": "InternalIP", "address": .string(description.internalIP)],
                ["type": "Hostname", "address": .string(description.name)],
            ],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(description.kubeletPort)]],
            "nodeInfo": [
                "machineID": .string(machine.machineID), "systemUUID": .string(machine.systemUUID),
                "bootID": .string(machine.bootID), "kernelVersion": .string(machine.kernelVersion),
                "osImage": .string(machine.osImage),
                "containerRuntimeVersion": .string(description.containerRuntimeVersion),
                "kubeletVersion": .string(description.kubeletVersion),
                "kubeProxyVersion": .string(description.kubeletVersion),
                "operatingSystem": "linux", "architecture": .string(machine.architecture),
            ],
        ]
    }

    static func conditions(_ health: NodeHealth, now: String, previous: JSON?) -> JSON {
        let rows: [(type: String, status: Bool, reason: String, message: String)] = [
            health.memoryPressure
                ? ("MemoryPressure", true, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
                : ("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            health.diskPressure
                ? ("DiskPressure", true, "KubeletHasDiskPressure", "kubelet has disk pressure")
                : ("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            health.pidPressure
                ? ("PIDPressure", true, "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
                : ("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            health.notReadyMessage.map { ("Ready", false, "KubeletNotReady", $0) }
                ?? ("Ready", true, "KubeletReady", "kubelet is posting ready status"),
        ]
        let before = Dictionary(
            (previous?.arrayValue ?? []).compactMap { condition in condition["type"].stringValue.map { ($0, condition) }
            },
            uniquingKeysWith: { first, _ in first })
        return .array(
            rows.map { row in
                let status = row.status ? "True" : "False"
                let transition =
                    before[row.type].flatMap {
                        $0["status"].stringValue == status ? $0["lastTransitionTime"].stringValue : nil
                    }
                    ?? now
                return [
                    "type": .string(row.type), "status": .string(status), "reason": .string(row.reason),
                    "message": .string(row.message), "lastHeartbeatTime": .string(now),
                    "lastTransitionTime": .string(transition),
                ]
            })
    }

    /// Whether the server's status differs from what the agent computes, heartbeat times aside: a kubelet then
    /// posts its status at once (after the node lifecycle controller set conditions Unknown, for one).
    public static func differs(server: JSON, computed: JSON) -> Bool {
        stripped(server) != stripped(computed)
    }

    /// A status without its times, and without what the server adds (volumes, images).
    static func stripped(_ status: JSON) -> JSON {
        var copy: JSON = [
            "capacity": status["capacity"], "allocatable": status["allocatable"], "addresses": status["addresses"],
            "nodeInfo": status["nodeInfo"], "daemonEndpoints": status["daemonEndpoints"],
        ]
        copy["conditions"] = .array(
            (status["conditions"].arrayValue ?? []).map { condition in
                [
                    "type": condition["type"], "status": condition["status"], "reason": condition["reason"],
                    "message": condition["message"],
                ]
            }.sorted { ($0["type"].stringValue ?? "") < ($1["type"].stringValue ?? "") })
        return copy
    }
}
