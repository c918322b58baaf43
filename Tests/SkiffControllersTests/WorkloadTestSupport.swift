import Foundation
import SkiffModel

@testable import SkiffControllers

/// Builders and a tiny in-memory "cluster" that applies workload actions, for the workload reconcile tests.
enum Fixture {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func time(_ offset: TimeInterval) -> String { WorkloadTime.format(epoch.addingTimeInterval(offset)) }

    static func template(labels: [String: String], image: String = "nginx:1.25") -> JSON {
        [
            "metadata": [
                "labels": .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
            ],
            "spec": ["containers": [["name": "app", "image": .string(image)]], "restartPolicy": "Always"],
        ]
    }

    static func selector(_ labels: [String: String]) -> JSON {
        ["matchLabels": .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))]
    }

    static func replicaSet(
        name: String = "web-rs", uid: String = "rs-uid", replicas: Int = 3, labels: [String: String] = ["app": "web"],
        minReadySeconds: Int = 0, generation: Int = 1
    ) -> JSON {
        var rs: JSON = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string(uid), "generation": .int(generation),
                "resourceVersion": "10", "creationTimestamp": .string(time(0)),
                "labels": .object(
                    JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            ],
            "spec": ["replicas": .int(replicas), "selector": selector(labels), "template": template(labels: labels)],
        ]
        if minReadySeconds > 0 { rs["spec"]["minReadySeconds"] = .int(minReadySeconds) }
        return rs
    }

    static func pod(
        _ name: String, owner: JSON? = nil, ownerResource: WorkloadResource = .replicaSets,
        labels: [String: String] = ["app": "web"], phase: String = "Running", ready: Bool = true,
        readySince: TimeInterval = 0, node: String? = "node-a", created: TimeInterval = 0, restarts: Int = 0
    ) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"),
                "resourceVersion": "5", "creationTimestamp": .string(time(created)),
                "labels": .object(
                    JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            ],
            "spec": ["containers": [["name": "app", "image": "nginx:1.25"]]],
            "status": ["phase": .string(phase)],
        ]
        if let owner {
            pod["metadata"]["ownerReferences"] = [WorkloadReference.controllerRef(to: owner, as: ownerResource)]
        }
        if let node { pod["spec"]["nodeName"] = .string(node) }
        pod["status"]["conditions"] = [
            ["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": .string(time(readySince))]
        ]
        if restarts > 0 { pod["status"]["containerStatuses"] = [["name": "app", "restartCount": .int(restarts)]] }
        return pod
    }
}

/// An in-memory API: applies actions the way the server would (names from generateName, uids, generation bumps,
/// resourceVersion checks) so reconciles can be chained across steps.
struct FakeCluster {
    var objects: [WorkloadResource: [String: JSON]] = [:]
    var clock: Date = Fixture.epoch
    var counter = 0
    var events: [WorkloadEvent] = []
    var conflicts = 0

    func list(_ resource: WorkloadResource) -> [JSON] {
        (objects[resource] ?? [:]).values.sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    func get(_ resource: WorkloadResource, _ name: String) -> JSON? { objects[resource]?[name] }

    mutating func put(_ resource: WorkloadResource, _ object: JSON) {
        var object = object
        if object.uid == nil { object["metadata"]["uid"] = .string("uid-\(object.name ?? "")") }
        if object["metadata"]["resourceVersion"].isNull { object["metadata"]["resourceVersion"] = "1" }
        if object["metadata"]["generation"].isNull { object["metadata"]["generation"] = 1 }
        if object["metadata"]["creationTimestamp"].isNull {
            object["metadata"]["creationTimestamp"] = .string(WorkloadTime.format(clock))
        }
        objects[resource, default: [:]][object.name ?? ""] = object
    }

    mutating func nextVersion() -> JSON {
        counter += 1
        return .string(String(100 + counter))
    }

    mutating func apply(_ actions: [WorkloadAction]) {
        for action in actions {
            switch action {
            case .create(let resource, let namespace, var object):
                counter += 1
                if object.name == nil {
                    let prefix = object["metadata"]["generateName"].stringValue ?? "x-"
                    object["metadata"]["name"] = .string("\(prefix)\(String(counter, radix: 36))")
                }
                if objects[resource]?[object.name ?? ""] != nil { continue }  // AlreadyExists
                object["metadata"]["namespace"] = .string(namespace)
                object["metadata"]["uid"] = .string("uid-\(object.name ?? "")-\(counter)")
                object["metadata"]["resourceVersion"] = nextVersion()
                object["metadata"]["generation"] = 1
                object["metadata"]["creationTimestamp"] = .string(WorkloadTime.format(clock))
                if resource == .pods, object["status"]["phase"].isNull { object["status"]["phase"] = "Pending" }
                objects[resource, default: [:]][object.name ?? ""] = object
            case .update(let resource, var object), .updateStatus(let resource, var object):
                guard let live = objects[resource]?[object.name ?? ""] else { continue }
                guard live.resourceVersion == object.resourceVersion else {
                    conflicts += 1
                    continue
                }
                if case .updateStatus = action {
                    var next = live
                    next["status"] = object["status"]
                    next["metadata"]["annotations"] = object["metadata"]["annotations"]
                    next["metadata"]["labels"] = object["metadata"]["labels"]
                    object = next
                } else {
                    object["status"] = live["status"]
                    var generation = live["metadata"]["generation"].int64Value ?? 1
                    if live["spec"] != object["spec"] { generation += 1 }
                    object["metadata"]["generation"] = .int(generation)
                }
                object["metadata"]["resourceVersion"] = nextVersion()
                objects[resource, default: [:]][object.name ?? ""] = object
            case .delete(let resource, _, let name, let uid, _):
                if let uid, objects[resource]?[name]?.uid != uid { continue }
                objects[resource]?[name] = nil
            case .event(let event):
                events.append(event)
            }
        }
    }

    /// The kubelet of this fake: schedules pending pods and makes them Running and Ready when `ready` says so.
    mutating func runPods(ready: (JSON) -> Bool = { _ in true }) {
        for pod in list(.pods) where WorkloadPod(pod).phase == "Pending" || !WorkloadPod(pod).isReady {
            guard ready(pod) else { continue }
            var next = pod
            if next["spec"]["nodeName"].isNull {
                next["spec"]["nodeName"] = .string(DaemonSetReconciler.targetNode(of: pod) ?? "node-a")
            }
            next["status"]["phase"] = "Running"
            next["status"]["conditions"] = [
                ["type": "Ready", "status": "True", "lastTransitionTime": .string(WorkloadTime.format(clock))]
            ]
            next["metadata"]["resourceVersion"] = nextVersion()
            objects[.pods]?[pod.name ?? ""] = next
        }
    }

    /// Runs the ReplicaSet reconcile for every ReplicaSet once.
    mutating func reconcileReplicaSets() {
        for rs in list(.replicaSets) {
            let result = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: list(.pods), now: clock)
            apply(result.actions)
        }
    }
}

extension JSON {
    /// Test shorthand: the integer at a path of keys, 0 when absent.
    func int(_ keys: String...) -> Int {
        var value = self
        for key in keys { value = value[key] }
        return value.intValue ?? 0
    }
}

extension Fixture {
    static func deployment(
        name: String = "web", replicas: Int = 3, image: String = "nginx:1.25", strategy: JSON? = nil,
        minReadySeconds: Int = 0, progressDeadline: Int? = 600, revisionHistoryLimit: Int = 10
    ) -> JSON {
        var d: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "generation": 1,
                "resourceVersion": "1", "creationTimestamp": .string(time(0)),
            ],
            "spec": [
                "replicas": .int(replicas), "selector": selector(["app": name]),
                "template": template(labels: ["app": name], image: image),
                "strategy": strategy ?? [
                    "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"],
                ],
                "revisionHistoryLimit": .int(revisionHistoryLimit),
            ],
        ]
        if let progressDeadline { d["spec"]["progressDeadlineSeconds"] = .int(progressDeadline) }
        if minReadySeconds > 0 { d["spec"]["minReadySeconds"] = .int(minReadySeconds) }
        return d
    }

    /// kubectl 1.32's `rollout status` verdict for a Deployment (`polymorphichelpers.DeploymentStatusViewer`).
    static func rolloutStatus(_ d: JSON) -> (done: Bool, message: String) {
        let name = d.name ?? ""
        let status = d["status"]
        guard (d["metadata"]["generation"].int64Value ?? 0) <= (status["observedGeneration"].int64Value ?? 0) else {
            return (false, "Waiting for deployment spec update to be observed...")
        }
        if WorkloadConditions.find("Progressing", in: status["conditions"])?["reason"] == "ProgressDeadlineExceeded" {
            return (false, "deployment \"\(name)\" exceeded its progress deadline")
        }
        let replicas = d["spec"]["replicas"].intValue ?? 1
        let updated = status.int("updatedReplicas")
        if updated < replicas {
            return (
                false,
                "Waiting for deployment \"\(name)\" rollout to finish: \(updated) out of \(replicas) new replicas have been updated..."
            )
        }
        if status.int("replicas") > updated {
            return (
                false,
                "Waiting for deployment \"\(name)\" rollout to finish: \(status.int("replicas") - updated) old replicas are pending termination..."
            )
        }
        if status.int("availableReplicas") < updated {
            return (
                false,
                "Waiting for deployment \"\(name)\" rollout to finish: \(status.int("availableReplicas")) of \(updated) updated replicas are available..."
            )
        }
        return (true, "deployment \"\(name)\" successfully rolled out")
    }
}

extension FakeCluster {
    mutating func reconcileDeployment(_ name: String = "web") {
        guard let d = get(.deployments, name) else { return }
        let result = DeploymentReconciler.reconcile(
            deployment: d, replicaSets: list(.replicaSets), pods: list(.pods), now: clock)
        apply(result.actions)
    }

    /// Changes a Deployment's spec like `kubectl apply` would.
    mutating func editDeployment(_ name: String = "web", _ change: (inout JSON) -> Void) {
        guard var d = get(.deployments, name) else { return }
        change(&d)
        apply([.update(resource: .deployments, object: d)])
    }

    /// Active pods, and how many of them are ready.
    var podCounts: (total: Int, ready: Int) {
        let pods = list(.pods).map(WorkloadPod.init).filter(\.isActive)
        return (pods.count, pods.filter(\.isReady).count)
    }

    /// One controller round: Deployment, then ReplicaSets; `check` sees the cluster before pods make progress;
    /// then pods the predicate allows become ready, ReplicaSets publish it, and the clock moves a second.
    mutating func step(
        _ name: String = "web", ready: (JSON) -> Bool = { _ in true }, check: (FakeCluster) -> Void = { _ in }
    ) {
        reconcileDeployment(name)
        reconcileReplicaSets()
        check(self)
        runPods(ready: ready)
        reconcileReplicaSets()
        clock = clock.addingTimeInterval(1)
    }
}

extension Fixture {
    static func job(
        name: String = "pi", completions: Int? = 1, parallelism: Int = 1, backoffLimit: Int = 6,
        restartPolicy: String = "Never"
    ) -> JSON {
        var job: JSON = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "generation": 1,
                "resourceVersion": "1", "creationTimestamp": .string(time(0)),
            ],
            "spec": [
                "parallelism": .int(parallelism), "backoffLimit": .int(backoffLimit), "completionMode": "NonIndexed",
                "suspend": false,
                "template": [
                    "spec": [
                        "containers": [["name": "pi", "image": "perl:5.34"]], "restartPolicy": .string(restartPolicy),
                    ]
                ],
            ],
        ]
        if let completions { job["spec"]["completions"] = .int(completions) }
        return job
    }
}

extension FakeCluster {
    mutating func reconcileJob(_ name: String = "pi") -> WorkloadReconcileResult {
        guard let job = get(.jobs, name) else { return WorkloadReconcileResult() }
        let result = JobReconciler.reconcile(job: job, pods: list(.pods), now: clock)
        apply(result.actions)
        return result
    }

    /// The kubelet ends a pod: phase Succeeded or Failed, with a terminated container finishing now.
    mutating func finishPod(_ name: String, phase: String) {
        guard var pod = get(.pods, name) else { return }
        pod["status"]["phase"] = .string(phase)
        pod["status"]["conditions"] = [
            ["type": "Ready", "status": "False", "lastTransitionTime": .string(WorkloadTime.format(clock))]
        ]
        pod["status"]["containerStatuses"] = [
            [
                "name": "pi", "restartCount": 0,
                "state": [
                    "terminated": [
                        "exitCode": phase == "Succeeded" ? 0 : 1, "finishedAt": .string(WorkloadTime.format(clock)),
                    ]
                ],
            ]
        ]
        pod["metadata"]["resourceVersion"] = nextVersion()
        objects[.pods]?[name] = pod
    }

    var activePodNames: [String] { list(.pods).filter { WorkloadPod($0).isActive }.compactMap(\.name) }
}

extension Fixture {
    static func node(_ name: String, labels: [String: String] = [:], taints: [JSON] = []) -> JSON {
        var node: JSON = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name), "uid": .string("uid-\(name)"),
                "labels": .object(
                    JSONObject(
                        ([("kubernetes.io/hostname", name)] + labels.sorted { $0.key < $1.key }).map {
                            ($0.0, JSON.string($0.1))
                        })),
            ],
            "spec": [:],
        ]
        if !taints.isEmpty { node["spec"]["taints"] = .array(taints) }
        return node
    }

    static func taint(_ key: String, _ effect: String, value: String? = nil) -> JSON {
        var taint: JSON = ["key": .string(key), "effect": .string(effect)]
        if let value { taint["value"] = .string(value) }
        return taint
    }

    static func daemonSet(name: String = "agent", maxUnavailable: JSON = 1, maxSurge: JSON = 0) -> JSON {
        [
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "generation": 1,
                "resourceVersion": "1", "creationTimestamp": .string(time(0)),
            ],
            "spec": [
                "selector": selector(["app": name]), "template": template(labels: ["app": name], image: "agent:1"),
                "updateStrategy": [
                    "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": maxUnavailable, "maxSurge": maxSurge],
                ],
                "revisionHistoryLimit": 10,
            ],
        ]
    }
}

extension FakeCluster {
    mutating func reconcileDaemonSet(_ name: String = "agent", nodes: [JSON]) -> WorkloadReconcileResult {
        guard let ds = get(.daemonSets, name) else { return WorkloadReconcileResult() }
        let result = DaemonSetReconciler.reconcile(
            daemonSet: ds, nodes: nodes, pods: list(.pods), revisions: list(.controllerRevisions), now: clock)
        apply(result.actions)
        return result
    }

    /// Daemon pods by the node they run on or target.
    var podsByNode: [String: [JSON]] {
        Dictionary(grouping: list(.pods).filter { WorkloadPod($0).isActive }) {
            DaemonSetReconciler.targetNode(of: $0) ?? ""
        }
    }
}

extension Fixture {
    static func statefulSet(name: String = "web", replicas: Int = 3, parallel: Bool = false, partition: Int? = nil)
        -> JSON
    {
        var sts: JSON = [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "generation": 1,
                "resourceVersion": "1", "creationTimestamp": .string(time(0)),
            ],
            "spec": [
                "replicas": .int(replicas), "serviceName": "nginx", "selector": selector(["app": name]),
                "template": template(labels: ["app": name]),
                "podManagementPolicy": parallel ? "Parallel" : "OrderedReady",
                "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": .int(partition ?? 0)]],
                "revisionHistoryLimit": 10,
            ],
        ]
        if partition == nil { sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0 }
        return sts
    }

    /// kubectl 1.32's `rollout status` verdict for a StatefulSet with the RollingUpdate strategy.
    static func statefulSetRolloutStatus(_ sts: JSON) -> (done: Bool, message: String) {
        let status = sts["status"]
        let observed = status["observedGeneration"].int64Value ?? 0
        if observed == 0 || (sts["metadata"]["generation"].int64Value ?? 0) > observed {
            return (false, "Waiting for statefulset spec update to be observed...")
        }
        let replicas = sts["spec"]["replicas"].intValue ?? 1
        if status.int("readyReplicas") < replicas {
            return (false, "Waiting for \(replicas - status.int("readyReplicas")) pods to be ready...")
        }
        if let partition = sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"].intValue, partition > 0 {
            if status.int("updatedReplicas") < replicas - partition {
                return (
                    false,
                    "Waiting for partitioned roll out to finish: \(status.int("updatedReplicas")) out of \(replicas - partition) new pods have been updated..."
                )
            }
            return (
                true, "partitioned roll out complete: \(status.int("updatedReplicas")) new pods have been updated..."
            )
        }
        if status["updateRevision"] != status["currentRevision"] {
            return (
                false,
                "waiting for statefulset rolling update to complete \(status.int("updatedReplicas")) pods at revision \(status["updateRevision"].stringValue ?? "")..."
            )
        }
        return (
            true,
            "statefulset rolling update complete \(status.int("currentReplicas")) pods at revision \(status["currentRevision"].stringValue ?? "")..."
        )
    }
}

extension FakeCluster {
    @discardableResult
    mutating func reconcileStatefulSet(_ name: String = "web") -> WorkloadReconcileResult {
        guard let sts = get(.statefulSets, name) else { return WorkloadReconcileResult() }
        let result = StatefulSetReconciler.reconcile(
            statefulSet: sts, pods: list(.pods), claims: list(.persistentVolumeClaims),
            revisions: list(.controllerRevisions),
            now: clock)
        apply(result.actions)
        return result
    }
}
