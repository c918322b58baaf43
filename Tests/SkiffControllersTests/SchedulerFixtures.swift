import SkiffModel

@testable import SkiffControllers

/// Builders for the Pod and Node objects the scheduler tests feed through `PodView`/`NodeView`, so every test
/// exercises the JSON parsing the runtime relies on.
enum SchedulerFixtures {
    static func nodeJSON(
        _ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int = 110, labels: [String: String] = [:],
        taints: [JSON] = [], unschedulable: Bool = false, ready: String? = "True", extended: [String: String] = [:]
    ) -> JSON {
        var allocatable: JSON = ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(String(pods))]
        for (key, value) in extended { allocatable[key] = .string(value) }
        var node: JSON = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "uid": .string("node-uid-\(name)")],
            "spec": [:],
            "status": ["allocatable": allocatable, "capacity": allocatable],
        ]
        var labelObject: JSON = ["kubernetes.io/hostname": .string(name)]
        for (key, value) in labels { labelObject[key] = .string(value) }
        node["metadata"]["labels"] = labelObject
        if !taints.isEmpty { node["spec"]["taints"] = .array(taints) }
        if unschedulable { node["spec"]["unschedulable"] = true }
        if let ready {
            node["status"]["conditions"] = [
                ["type": "MemoryPressure", "status": "False"], ["type": "Ready", "status": .string(ready)],
            ]
        }
        return node
    }

    static func node(
        _ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int = 110, labels: [String: String] = [:],
        taints: [JSON] = [], unschedulable: Bool = false, ready: String? = "True", extended: [String: String] = [:]
    ) -> NodeView {
        NodeView(
            nodeJSON(
                name, cpu: cpu, memory: memory, pods: pods, labels: labels, taints: taints,
                unschedulable: unschedulable, ready: ready, extended: extended))
    }

    static func taint(_ key: String, _ value: String = "", _ effect: String = "NoSchedule") -> JSON {
        value.isEmpty
            ? ["key": .string(key), "effect": .string(effect)]
            : ["key": .string(key), "value": .string(value), "effect": .string(effect)]
    }

    static func container(cpu: String? = nil, memory: String? = nil, ports: [JSON] = []) -> JSON {
        var requests = JSON.emptyObject
        if let cpu { requests["cpu"] = .string(cpu) }
        if let memory { requests["memory"] = .string(memory) }
        var container: JSON = ["name": "app", "image": "busybox", "resources": ["requests": requests]]
        if !ports.isEmpty { container["ports"] = .array(ports) }
        return container
    }

    static func podJSON(
        _ name: String, uid: String? = nil, namespace: String = "default", cpu: String? = "100m",
        memory: String? = "128Mi", nodeName: String? = nil, owner: String? = nil, nodeSelector: [String: String] = [:],
        affinity: JSON? = nil, tolerations: [JSON] = [], ports: [JSON] = [], containers: [JSON]? = nil
    ) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string(uid ?? "uid-\(name)")],
            "spec": [
                "schedulerName": "default-scheduler",
                "containers": .array(containers ?? [container(cpu: cpu, memory: memory, ports: ports)]),
            ],
            "status": ["phase": "Pending"],
        ]
        if let nodeName { pod["spec"]["nodeName"] = .string(nodeName) }
        if let owner {
            pod["metadata"]["ownerReferences"] = [
                [
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(owner),
                    "uid": .string("rs-\(owner)"),
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ]
        }
        if !nodeSelector.isEmpty {
            var selector = JSON.emptyObject
            for (key, value) in nodeSelector { selector[key] = .string(value) }
            pod["spec"]["nodeSelector"] = selector
        }
        if let affinity { pod["spec"]["affinity"] = affinity }
        if !tolerations.isEmpty { pod["spec"]["tolerations"] = .array(tolerations) }
        return pod
    }

    static func pod(
        _ name: String, uid: String? = nil, namespace: String = "default", cpu: String? = "100m",
        memory: String? = "128Mi", nodeName: String? = nil, owner: String? = nil, nodeSelector: [String: String] = [:],
        affinity: JSON? = nil, tolerations: [JSON] = [], ports: [JSON] = [], containers: [JSON]? = nil
    ) -> PodView {
        PodView(
            podJSON(
                name, uid: uid, namespace: namespace, cpu: cpu, memory: memory, nodeName: nodeName, owner: owner,
                nodeSelector: nodeSelector, affinity: affinity, tolerations: tolerations, ports: ports,
                containers: containers))
    }

    /// `requiredDuringScheduling…` affinity with one term per element of `terms` (each a list of expressions).
    static func requiredAffinity(_ terms: [[JSON]], fields: [[JSON]] = []) -> JSON {
        var termObjects: [JSON] = terms.map { ["matchExpressions": .array($0)] }
        for (index, field) in fields.enumerated() {
            if index < termObjects.count {
                termObjects[index]["matchFields"] = .array(field)
            } else {
                termObjects.append(["matchFields": .array(field)])
            }
        }
        return [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": .array(termObjects)]
            ]
        ]
    }

    static func expression(_ key: String, _ op: String, _ values: [String] = []) -> JSON {
        values.isEmpty
            ? ["key": .string(key), "operator": .string(op)]
            : ["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]
    }

    static func scheduler(_ nodes: [NodeView], profile: SchedulerProfile = .default) -> PodScheduler {
        var cache = SchedulerCache()
        for node in nodes { cache.upsert(node: node) }
        return PodScheduler(cache: cache, profile: profile)
    }
}
