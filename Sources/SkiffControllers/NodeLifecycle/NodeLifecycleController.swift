import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Watches node heartbeats (Leases) and carries out `NodeHealth` decisions: unreachable nodes are marked
/// `Ready=Unknown` and tainted, their pods evicted after their tolerations — except on autonomous edge nodes.
public struct NodeLifecycleController: Service {
    let api: any ClusterAPI
    let gracePeriod: Duration
    let interval: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(
        api: any ClusterAPI, gracePeriod: Duration = .seconds(40), interval: Duration = .seconds(5),
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.api = api
        self.gracePeriod = gracePeriod
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let nodes = Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger)
        let leases = Informer(
            api: api, type: api.type("coordination.k8s.io", "v1", "leases"), namespace: "kube-node-lease",
            logger: logger)
        let pods = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
        let events = EventRecorder(api: api, component: "node-controller", logger: logger)
        // One key, evaluated every interval over the whole cache (heartbeats are judged by time, not by events).
        let controller = Controller(
            Controller.Configuration(name: "node-controller", resync: interval, clock: clock),
            watches: [nodes, leases, pods].map { Controller.Watch($0) { _, _ in } },
            companions: [{ await events.run() }], resyncKeys: { [Self.tickKey] }, logger: logger
        ) { _, _ in
            await tick(nodes: nodes, leases: leases, pods: pods, events: events)
            return .done
        }
        try await controller.run()
    }

    static let tickKey = "nodes"

    func tick(nodes: Informer, leases: Informer, pods: Informer, events: EventRecorder) async {
        var byNode: [String: [JSON]] = [:]
        for pod in pods.objects {
            if let node = pod["spec"]["nodeName"].stringValue, !node.isEmpty { byNode[node, default: []].append(pod) }
        }
        let now = Date()
        let grace = Double(gracePeriod.components.seconds)
        for node in nodes.objects {
            guard let name = node.name else { continue }
            let actions = NodeHealth.evaluate(
                node: node, lease: leases.get("kube-node-lease/\(name)"), pods: byNode[name] ?? [], now: now,
                gracePeriod: grace)
            for action in actions { await perform(action, node: node, events: events) }
        }
    }

    func perform(_ action: NodeHealth.Action, node: JSON, events: EventRecorder) async {
        let nodes = api.type("", "v1", "nodes")
        let now = KubeTimestamp.string(Date())
        do {
            switch action {
            case .markUnreachable(let name, let evicting):
                var conditions = node["status"]["conditions"].arrayValue ?? []
                for index in conditions.indices where conditions[index]["status"] != "Unknown" {
                    conditions[index]["status"] = "Unknown"
                    conditions[index]["reason"] = "NodeStatusUnknown"
                    conditions[index]["message"] = "Kubelet stopped posting node status."
                    conditions[index]["lastTransitionTime"] = .string(now)
                }
                _ = try await api.patch(
                    nodes, namespace: nil, name: name, patch: ["status": ["conditions": .array(conditions)]],
                    patchType: .merge, subresource: "status", fieldManager: "node-controller")
                var taints = (node["spec"]["taints"].arrayValue ?? []).filter {
                    $0["key"] != .string(NodeHealth.unreachableTaint)
                }
                taints.append(["key": .string(NodeHealth.unreachableTaint), "effect": "NoSchedule"])
                if evicting {
                    taints.append([
                        "key": .string(NodeHealth.unreachableTaint), "effect": "NoExecute", "timeAdded": .string(now),
                    ])
                }
                _ = try await api.patch(
                    nodes, namespace: nil, name: name, patch: ["spec": ["taints": .array(taints)]],
                    patchType: .merge,
                    subresource: nil, fieldManager: "node-controller")
                let autonomy = evicting ? "" : " (autonomous: its pods stay bound)"
                logger.info("node unreachable", metadata: ["node": "\(name)", "autonomous": "\(!evicting)"])
                await events.record(
                    node, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady\(autonomy)")
            case .clearUnreachableTaints(let name):
                let taints = (node["spec"]["taints"].arrayValue ?? []).filter {
                    $0["key"] != .string(NodeHealth.unreachableTaint)
                }
                _ = try await api.patch(
                    nodes, namespace: nil, name: name, patch: ["spec": ["taints": .array(taints)]], patchType: .merge,
                    subresource: nil, fieldManager: "node-controller")
                await events.record(node, reason: "NodeReady", message: "Node \(name) status is now: NodeReady")
            case .recordLastHeard(let name, let at):
                _ = try await api.patch(
                    nodes, namespace: nil, name: name,
                    patch: [
                        "metadata": ["annotations": [NodeHealth.lastHeardAnnotation: .string(KubeTimestamp.string(at))]]
                    ],
                    patchType: .merge, subresource: nil, fieldManager: "node-controller")
            case .forgetLastHeard(let name):
                _ = try await api.patch(
                    nodes, namespace: nil, name: name,
                    patch: ["metadata": ["annotations": [NodeHealth.lastHeardAnnotation: .null]]], patchType: .merge,
                    subresource: nil, fieldManager: "node-controller")
            case .evict(let namespace, let name, let uid):
                let pods = api.type("", "v1", "pods")
                var options: JSON = .emptyObject
                if let uid { options["preconditions"] = ["uid": .string(uid)] }
                try await api.delete(pods, namespace: namespace, name: name, options: options)
                let pod: JSON = [
                    "kind": "Pod", "apiVersion": "v1",
                    "metadata": [
                        "name": .string(name), "namespace": .string(namespace), "uid": uid.map(JSON.string) ?? .null,
                    ],
                ]
                await events.record(
                    pod, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(namespace)/\(name)")
            }
        } catch {
            logger.warning("node lifecycle action failed", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
