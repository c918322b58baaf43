import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Hollow nodes for tests and benchmarks at scale (like kwok): they register, renew their Leases, and report every
/// pod bound to them Running and Ready without running anything. Deleted pods are confirmed gone at once. Pod IPs
/// come from the node's `spec.podCIDR`: set by the nodes themselves (`selfAssignedCIDRs`, for clusters without node
/// IPAM), or assigned by the server's node IPAM controller, in which case pods wait for it as on a real node.
///
/// Reads (the node and pod informers) go through `api`; each node's writes go through `writer(node)`, so that a
/// remote agent's hollow nodes each speak with their own node certificate, as real nodes do (in process, one API
/// serves all).
public struct SimulatedNodes: Service {
    let api: any ClusterAPI
    let writer: @Sendable (String) -> any ClusterAPI
    let count: Int
    let prefix: String
    let logger: Logger
    let heartbeat: Duration
    let selfAssignedCIDRs: Bool
    let clock: ServiceClock

    public init(
        api: any ClusterAPI, count: Int, prefix: String = "sim", heartbeat: Duration = .seconds(10),
        selfAssignedCIDRs: Bool = true, clock: ServiceClock = .continuous, logger: Logger,
        writer: (@Sendable (String) -> any ClusterAPI)? = nil
    ) {
        self.clock = clock
        self.api = api
        self.writer = writer ?? { _ in api }
        self.count = count
        self.prefix = prefix
        self.heartbeat = heartbeat
        self.selfAssignedCIDRs = selfAssignedCIDRs
        self.logger = logger
    }

    var nodeNames: [String] { (0..<count).map { "\(prefix)-\($0)" } }

    public func run() async throws {
        // A remote server may be down or restarting: keep trying until it takes the nodes, or shutdown comes first.
        let registered = try await cancelWhenGracefulShutdown { try await self.registerRetrying() }
        guard registered else { return }
        logger.info("simulated nodes registered", metadata: ["count": "\(count)", "prefix": "\(prefix)"])
        let nodes = Informer(
            api: api, type: api.type("", "v1", "nodes"), options: ListOptions(labelSelector: "type=simulated"),
            logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.heartbeats(nodes: nodes) }
            group.addTask { await self.runPods(nodes: nodes) }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Registers, retrying with backoff while the server is unreachable or overloaded; false when cancelled first.
    private func registerRetrying(backoff: Backoff = Backoff()) async throws -> Bool {
        for attempt in 1... {
            do throws(APIError) {
                try await register()
                return true
            } catch {
                guard error.code >= 500 || error.code == 429 else { throw error }
                let delay = backoff.delay(attempt: attempt)
                logger.warning(
                    "cannot register simulated nodes, retrying",
                    metadata: ["attempt": "\(attempt)", "retry.in": "\(delay)", "error": "\(error)"])
                do { try await clock.sleep(for: delay) } catch { return false }
            }
        }
        return false
    }

    /// Nodes registered at once: their writes then share the store's group commits.
    static let concurrentRegistrations = 16

    private func register() async throws(APIError) {
        let names = nodeNames
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, name) in names.enumerated() {
                    if index >= Self.concurrentRegistrations { try await group.next() }
                    group.addTask { try await self.register(name, index: index) }
                }
                try await group.waitForAll()
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internal("\(error)")
        }
    }

    /// One node, its Ready status and its Lease; what exists already is kept.
    private func register(_ name: String, index: Int) async throws(APIError) {
        let api = writer(name)
        let nodes = api.type("", "v1", "nodes")
        let leases = api.type("coordination.k8s.io", "v1", "leases")
        do {
            _ = try await api.create(
                nodes, namespace: nil, object: Self.node(name, index: index, selfAssignedCIDR: selfAssignedCIDRs),
                fieldManager: "skiff-sim")
        } catch {
            guard error.reason == "AlreadyExists" else { throw error }
        }
        var status = Self.node(name, index: index)["status"]
        status["conditions"] = Self.conditions(now: Self.now())
        // Not fatal: the first heartbeat re-posts conditions that differ.
        await logFailure(of: "node status", node: name) { () throws(APIError) in
            _ = try await api.patch(
                nodes, namespace: nil, name: name, patch: ["status": status], patchType: .merge, subresource: "status",
                fieldManager: "skiff-sim")
        }
        do {
            _ = try await api.create(
                leases, namespace: "kube-node-lease", object: Self.lease(name), fieldManager: "skiff-sim")
        } catch {
            guard error.reason == "AlreadyExists" else { throw error }
        }
    }

    /// Each heartbeat, as kubelets do: renews every node's Lease, and re-posts the node's conditions when the
    /// server's copy differs from what the node reports (the node lifecycle controller set them Unknown while the
    /// node was unreachable: a kubelet corrects that at its next status sync, at most 10 s later).
    private func heartbeats(nodes: Informer) async {
        let leases = api.type("coordination.k8s.io", "v1", "leases")
        let nodeType = api.type("", "v1", "nodes")
        await clock.repeating(every: heartbeat) {
            let now = Self.now()
            await withTaskGroup(of: Void.self) { group in
                for (index, name) in nodeNames.enumerated() {
                    if Task.isCancelled { return }
                    if index >= Self.concurrentRegistrations { await group.next() }
                    let known = nodes.get(name)
                    let stale = known.map(Self.conditionsDiffer) ?? false
                    let api = writer(name)
                    group.addTask {
                        // The server lost the node or its Lease (deleted, or a restored snapshot from before it
                        // joined): register again, as kubelets do when their Node is gone.
                        var lost = known == nil
                        // A missed heartbeat is retried by the next one; say why it was missed.
                        await logFailure(of: "lease renewal", node: name) { () throws(APIError) in
                            do throws(APIError) {
                                _ = try await api.patch(
                                    leases, namespace: "kube-node-lease", name: name,
                                    patch: ["spec": ["renewTime": .string(now)]], patchType: .merge, subresource: nil,
                                    fieldManager: "skiff-sim")
                            } catch {
                                lost = lost || error.code == 404
                                throw error
                            }
                        }
                        if lost {
                            await logFailure(of: "registration", node: name) { () throws(APIError) in
                                try await register(name, index: index)
                            }
                            return
                        }
                        guard stale else { return }
                        await logFailure(of: "node status sync", node: name) { () throws(APIError) in
                            _ = try await api.patch(
                                nodeType, namespace: nil, name: name,
                                patch: ["status": ["conditions": Self.conditions(now: now)]], patchType: .merge,
                                subresource: "status", fieldManager: "skiff-sim")
                        }
                    }
                }
            }
        }
    }

    /// Whether the server's copy of a node's kubelet-owned conditions differs from what a healthy simulated node
    /// reports (Ready True, no pressure).
    static func conditionsDiffer(_ node: JSON) -> Bool {
        let reported = Dictionary(
            (node["status"]["conditions"].arrayValue ?? []).compactMap { condition in
                condition["type"].stringValue.map { ($0, condition["status"].stringValue ?? "") }
            },
            uniquingKeysWith: { first, _ in first })
        return healthyConditions.contains { reported[$0.type] != $0.status }
    }

    static let healthyConditions = [
        (type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory"),
        (type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure"),
        (type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID"),
        (type: "Ready", status: "True", reason: "KubeletReady"),
    ]

    /// Reports bound pods Running (once their node has a pod CIDR) and finishes deletions.
    private func runPods(nodes: Informer) async {
        let mine = Set(nodeNames)
        let informer = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
        let networks = PodNetworks()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await nodes.run { event in
                    guard let name = event.object.name, mine.contains(name), event.kind != .deleted,
                        let cidr = event.object["spec"]["podCIDR"].stringValue.flatMap(IPv4Network.init)
                    else { return }
                    // Pods that waited for the node's network start now.
                    for key in networks.setNetwork(cidr, of: name) {
                        if let pod = informer.get(key) { await handle(pod, mine: mine, networks: networks) }
                    }
                }
            }
            group.addTask {
                await informer.run { event in
                    if event.kind == .deleted {
                        networks.forget(event.object)
                        return
                    }
                    await handle(event.object, mine: mine, networks: networks)
                }
            }
        }
    }

    private func handle(_ pod: JSON, mine: Set<String>, networks: PodNetworks) async {
        let pods = api.type("", "v1", "pods")
        guard let node = pod["spec"]["nodeName"].stringValue, mine.contains(node), let name = pod.name,
            let namespace = pod.namespace
        else { return }
        let api = writer(node)
        networks.record(pod)
        if pod.deletionTimestamp != nil {
            await logFailure(of: "pod deletion", node: node, pod: "\(namespace)/\(name)") { () throws(APIError) in
                try await api.delete(pods, namespace: namespace, name: name, options: ["gracePeriodSeconds": 0])
            }
            return
        }
        let phase = pod["status"]["phase"].stringValue
        // Pods of Jobs run to completion (a moment after starting), everything else runs forever.
        let runsToCompletion = (pod["metadata"]["ownerReferences"].arrayValue ?? []).contains { $0["kind"] == "Job" }
        let next: JSON
        switch phase {
        case "Pending":
            guard let podIP = networks.address(for: pod, on: node) else { return }  // waits for the node's pod CIDR
            next = Self.runningStatus(
                pod, node: node, podIP: podIP,
                hostIP: Self.hostIP(index: Int(node.split(separator: "-").last ?? "") ?? 0))
        case "Running" where runsToCompletion: next = Self.succeededStatus(pod)
        default: return
        }
        await logFailure(of: "pod status", node: node, pod: "\(namespace)/\(name)") { () throws(APIError) in
            _ = try await api.patch(
                pods, namespace: namespace, name: name, patch: ["status": next], patchType: .merge,
                subresource: "status",
                fieldManager: "skiff-sim")
        }
    }

    /// Runs a write whose failure the caller survives, and says why it failed: quietly when the object went or
    /// changed meanwhile (its next event brings the write again), as a warning otherwise.
    private func logFailure(
        of write: String, node: String, pod: String? = nil, _ body: () async throws(APIError) -> Void
    ) async {
        do {
            try await body()
        } catch {
            var metadata: Logger.Metadata = ["node": "\(node)", "error": "\(error)"]
            if let pod { metadata["pod"] = "\(pod)" }
            logger.log(
                level: error.code == 404 || error.code == 409 ? .debug : .warning, "\(write) failed", metadata: metadata
            )
        }
    }

    static func hostIP(index: Int) -> String { "10.99.\(index / 256 % 256).\(index % 256)" }

    static func now() -> String { KubeTimestamp.string(Date()) }

    static func node(_ name: String, index: Int, selfAssignedCIDR: Bool = true) -> JSON {
        var node: JSON = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name),
                "labels": [
                    "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                    "type": "simulated",
                ],
                "annotations": ["node.skiff.io/simulated": "true"],
            ],
            "spec": .emptyObject,
            "status": [
                "capacity": ["cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"],
                "allocatable": ["cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"],
                "addresses": [
                    ["type": "InternalIP", "address": .string(hostIP(index: index))],
                    ["type": "Hostname", "address": .string(name)],
                ],
                "nodeInfo": [
                    "architecture": "amd64", "operatingSystem": "linux", "osImage": "skiff simulated node",
                    "kernelVersion": "simulated", "kubeletVersion": "v1.32.4+skiff",
                    "kubeProxyVersion": "v1.32.4+skiff",
                    "containerRuntimeVersion": "simulated://1.0", "machineID": "", "systemUUID": "", "bootID": "",
                ],
                "conditions": conditions(now: now()),
            ],
        ]
        if selfAssignedCIDR {
            let cidr = "10.42.\(index % 256).0/24"
            node["spec"] = ["podCIDR": .string(cidr), "podCIDRs": [.string(cidr)]]
        }
        return node
    }

    static func conditions(now: String) -> JSON {
        var list: [JSON] = []
        for (type, status, reason) in healthyConditions {
            list.append([
                "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(reason),
                "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now),
            ])
        }
        return .array(list)
    }

    static func lease(_ name: String) -> JSON {
        [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(name), "namespace": "kube-node-lease"],
            "spec": ["holderIdentity": .string(name), "leaseDurationSeconds": 40, "renewTime": .string(now())],
        ]
    }

    static func succeededStatus(_ pod: JSON) -> JSON {
        let now = Self.now()
        let containers = (pod["spec"]["containers"].arrayValue ?? []).map { container -> JSON in
            [
                "name": container["name"], "image": container["image"], "imageID": "", "ready": false, "started": false,
                "restartCount": 0,
                "state": [
                    "terminated": [
                        "exitCode": 0, "reason": "Completed", "startedAt": .string(now), "finishedAt": .string(now),
                    ]
                ],
            ]
        }
        var conditions: [JSON] = []
        for (type, status) in [
            ("Initialized", "True"), ("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True"),
        ] {
            conditions.append([
                "type": .string(type), "status": .string(status), "lastProbeTime": .null,
                "lastTransitionTime": .string(now),
            ])
        }
        return ["phase": "Succeeded", "conditions": .array(conditions), "containerStatuses": .array(containers)]
    }

    static func runningStatus(_ pod: JSON, node: String, podIP: String? = nil, hostIP: String = "10.99.0.1") -> JSON {
        let now = Self.now()
        let ip = podIP ?? "10.42.0.\(abs((pod.name ?? "").hashValue) % 250 + 2)"
        let containers = (pod["spec"]["containers"].arrayValue ?? []).map { container -> JSON in
            [
                "name": container["name"], "image": container["image"], "imageID": "", "ready": true, "started": true,
                "restartCount": 0, "state": ["running": ["startedAt": .string(now)]],
            ]
        }
        var conditions: [JSON] = []
        for type in ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"] {
            conditions.append([
                "type": .string(type), "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(now),
            ])
        }
        return [
            "phase": "Running", "conditions": .array(conditions), "hostIP": .string(hostIP),
            "hostIPs": [["ip": .string(hostIP)]],
            "podIP": .string(ip), "podIPs": [["ip": .string(ip)]], "startTime": .string(now),
            "containerStatuses": .array(containers), "qosClass": "BestEffort",
        ]
    }
}

/// The simulated nodes' pod networks: each node's pod CIDR, the pod IPs in use on it (rebuilt from the pods' status
/// after a restart), and the pods waiting for a CIDR.
final class PodNetworks: Sendable {
    private struct Node {
        var network: IPv4Network?
        var used: [UInt32: String] = [:]
        var waiting: Set<String> = []
    }

    private let nodes = Mutex<[String: Node]>([:])
    /// Which node and address each pod holds.
    private let holders = Mutex<[String: (node: String, address: UInt32)]>([:])

    static func key(_ pod: JSON) -> String { "\(pod.namespace ?? "")/\(pod.name ?? "")" }

    /// Sets a node's pod CIDR; returns the pods that were waiting for it.
    func setNetwork(_ network: IPv4Network, of node: String) -> Set<String> {
        nodes.withLock { nodes in
            nodes[node, default: Node()].network = network
            defer { nodes[node]?.waiting = [] }
            return nodes[node]?.waiting ?? []
        }
    }

    /// Marks the address a running pod already reports.
    func record(_ pod: JSON) {
        guard let node = pod["spec"]["nodeName"].stringValue, let text = pod["status"]["podIP"].stringValue,
            let address = IPv4Network.parseAddress(text)
        else { return }
        let key = Self.key(pod)
        holders.withLock { $0[key] = (node, address) }
        nodes.withLock { $0[node, default: Node()].used[address] = key }
    }

    /// The pod's address on `node`: the one it holds, or the lowest free host address of the node's CIDR after the
    /// gateway (`.1`); nil while the node has no CIDR (the pod is then remembered and handed back by `setNetwork`).
    func address(for pod: JSON, on node: String) -> String? {
        let key = Self.key(pod)
        if let held = holders.withLock({ $0[key] }), held.node == node { return IPv4Network.format(held.address) }
        let address = nodes.withLock { nodes -> UInt32? in
            guard let network = nodes[node]?.network, network.size > 3 else {
                nodes[node, default: Node()].waiting.insert(key)
                return nil
            }
            var candidate = network.base + 2
            while candidate < network.base + UInt32(network.size - 1) {
                if nodes[node]?.used[candidate] == nil {
                    nodes[node]?.used[candidate] = key
                    return candidate
                }
                candidate += 1
            }
            return nil
        }
        guard let address else { return nil }
        holders.withLock { $0[key] = (node, address) }
        return IPv4Network.format(address)
    }

    func forget(_ pod: JSON) {
        let key = Self.key(pod)
        guard let held = holders.withLock({ $0.removeValue(forKey: key) }) else { return }
        nodes.withLock { nodes in
            if nodes[held.node]?.used[held.address] == key { nodes[held.node]?.used[held.address] = nil }
        }
    }
}
