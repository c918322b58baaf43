import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Hollow nodes for tests and benchmarks at scale (like kwok): they register, renew their Leases, and report every
/// pod bound to them Running and Ready without running anything. Deleted pods are confirmed gone at once.
public struct SimulatedNodes: Service {
    let api: any ClusterAPI
    let count: Int
    let prefix: String
    let logger: Logger
    let heartbeat: Duration

    public init(api: any ClusterAPI, count: Int, prefix: String = "sim", heartbeat: Duration = .seconds(10), logger: Logger) {
        self.api = api
        self.count = count
        self.prefix = prefix
        self.heartbeat = heartbeat
        self.logger = logger
    }

    var nodeNames: [String] { (0..<count).map { "\(prefix)-\($0)" } }

    public func run() async throws {
        // A remote server may be down or restarting: keep trying until it takes the nodes, or shutdown comes first.
        let registered = try await cancelWhenGracefulShutdown { try await self.registerRetrying() }
        guard registered else { return }
        logger.info("simulated nodes registered", metadata: ["count": "\(count)", "prefix": "\(prefix)"])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.renewLeases() }
            group.addTask { await self.runPods() }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Registers, retrying with backoff while the server is unreachable or overloaded; false when cancelled first.
    private func registerRetrying(backoff: Backoff = Backoff()) async throws -> Bool {
        var failures = 0
        while !Task.isCancelled {
            do throws(APIError) {
                try await register()
                return true
            } catch {
                guard error.code >= 500 || error.code == 429 else { throw error }
                failures += 1
                let delay = backoff.delay(attempt: failures)
                logger.warning(
                    "cannot register simulated nodes, retrying",
                    metadata: ["attempt": "\(failures)", "retry.in": "\(delay)", "error": "\(error)"])
                do { try await Task.sleep(for: delay) } catch { return false }
            }
        }
        return false
    }

    private func register() async throws(APIError) {
        let nodes = api.type("", "v1", "nodes")
        let leases = api.type("coordination.k8s.io", "v1", "leases")
        for (index, name) in nodeNames.enumerated() {
            do {
                _ = try await api.create(nodes, namespace: nil, object: Self.node(name, index: index), fieldManager: "skiff-sim")
            } catch {
                guard error.reason == "AlreadyExists" else { throw error }
            }
            var status = Self.node(name, index: index)["status"]
            status["conditions"] = Self.conditions(now: Self.now())
            _ = try? await api.patch(nodes, namespace: nil, name: name, patch: ["status": status], patchType: .merge, subresource: "status", fieldManager: "skiff-sim")
            do {
                _ = try await api.create(leases, namespace: "kube-node-lease", object: Self.lease(name), fieldManager: "skiff-sim")
            } catch {
                guard error.reason == "AlreadyExists" else { throw error }
            }
        }
    }

    /// Renews every node's Lease each heartbeat, as kubelets do.
    private func renewLeases() async {
        let leases = api.type("coordination.k8s.io", "v1", "leases")
        while !Task.isCancelled {
            do { try await Task.sleep(for: heartbeat) } catch { return }
            let now = Self.now()
            for name in nodeNames {
                if Task.isCancelled { return }
                _ = try? await api.patch(
                    leases, namespace: "kube-node-lease", name: name, patch: ["spec": ["renewTime": .string(now)]],
                    patchType: .merge, subresource: nil, fieldManager: "skiff-sim")
            }
        }
    }

    /// Reports bound pods Running and finishes deletions.
    private func runPods() async {
        let pods = api.type("", "v1", "pods")
        let mine = Set(nodeNames)
        let informer = Informer(api: api, type: pods, logger: logger)
        await informer.run { event in
            let pod = event.object
            guard event.kind != .deleted, let node = pod["spec"]["nodeName"].stringValue, mine.contains(node),
                let name = pod.name, let namespace = pod.namespace
            else { return }
            if pod.deletionTimestamp != nil {
                _ = try? await api.delete(pods, namespace: namespace, name: name, options: ["gracePeriodSeconds": 0])
                return
            }
            let phase = pod["status"]["phase"].stringValue
            // Pods of Jobs run to completion (a moment after starting), everything else runs forever.
            let runsToCompletion = (pod["metadata"]["ownerReferences"].arrayValue ?? []).contains { $0["kind"] == "Job" }
            let next: JSON
            switch phase {
            case "Pending": next = Self.runningStatus(pod, node: node)
            case "Running" where runsToCompletion: next = Self.succeededStatus(pod)
            default: return
            }
            _ = try? await api.patch(
                pods, namespace: namespace, name: name, patch: ["status": next], patchType: .merge, subresource: "status",
                fieldManager: "skiff-sim")
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    static func node(_ name: String, index: Int) -> JSON {
        [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name),
                "labels": [
                    "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                    "type": "simulated",
                ],
                "annotations": ["node.skiff.io/simulated": "true"],
            ],
            "spec": ["podCIDR": .string("10.42.\(index % 256).0/24")],
            "status": [
                "capacity": ["cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"],
                "allocatable": ["cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"],
                "addresses": [["type": "InternalIP", "address": .string("10.99.\(index / 256 % 256).\(index % 256)")], ["type": "Hostname", "address": .string(name)]],
                "nodeInfo": [
                    "architecture": "amd64", "operatingSystem": "linux", "osImage": "skiff simulated node",
                    "kernelVersion": "simulated", "kubeletVersion": "v1.32.4+skiff", "kubeProxyVersion": "v1.32.4+skiff",
                    "containerRuntimeVersion": "simulated://1.0", "machineID": "", "systemUUID": "", "bootID": "",
                ],
                "conditions": conditions(now: now()),
            ],
        ]
    }

    static func conditions(now: String) -> JSON {
        var list: [JSON] = []
        for (type, status, reason) in [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"), ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady"),
        ] {
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
                "state": ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": .string(now), "finishedAt": .string(now)]],
            ]
        }
        var conditions: [JSON] = []
        for (type, status) in [("Initialized", "True"), ("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True")] {
            conditions.append(["type": .string(type), "status": .string(status), "lastProbeTime": .null, "lastTransitionTime": .string(now)])
        }
        return ["phase": "Succeeded", "conditions": .array(conditions), "containerStatuses": .array(containers)]
    }

    static func runningStatus(_ pod: JSON, node: String) -> JSON {
        let now = Self.now()
        let containers = (pod["spec"]["containers"].arrayValue ?? []).map { container -> JSON in
            [
                "name": container["name"], "image": container["image"], "imageID": "", "ready": true, "started": true,
                "restartCount": 0, "state": ["running": ["startedAt": .string(now)]],
            ]
        }
        var conditions: [JSON] = []
        for type in ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"] {
            conditions.append(["type": .string(type), "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(now)])
        }
        return [
            "phase": "Running", "conditions": .array(conditions), "hostIP": "10.99.0.1",
            "podIP": .string("10.42.0.\(abs((pod.name ?? "").hashValue) % 250 + 2)"), "startTime": .string(now),
            "containerStatuses": .array(containers), "qosClass": "BestEffort",
        ]
    }
}
