import Foundation
import SkiffModel

/// The DaemonSet controller's reconcile (upstream `pkg/controller/daemon`): one pod per eligible node, pinned to it
/// by node affinity for the scheduler to bind, replaced node by node on template changes.
public enum DaemonSetReconciler {
    /// At most this many pods are created or deleted per reconcile (upstream's DaemonSet `BurstReplicas`).
    public static let burstReplicas = 250

    /// Tolerations every DaemonSet pod gets (upstream `AddOrUpdateDaemonPodTolerations`), so daemons keep running
    /// on not-ready, unreachable, pressured and cordoned nodes; `network-unavailable` only with host networking.
    public static func defaultTolerations(hostNetwork: Bool) -> [JSON] {
        var keys: [(String, String)] = [
            ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ]
        if hostNetwork { keys.append(("node.kubernetes.io/network-unavailable", "NoSchedule")) }
        return keys.map { ["key": .string($0.0), "operator": "Exists", "effect": .string($0.1)] }
    }

    /// `podSpec` with the default DaemonSet tolerations added where missing.
    public static func addingDefaultTolerations(_ podSpec: JSON) -> JSON {
        var spec = podSpec
        var tolerations = spec["tolerations"].arrayValue ?? []
        for toleration in defaultTolerations(hostNetwork: spec["hostNetwork"].boolValue == true)
        where !tolerations.contains(where: {
            $0["key"] == toleration["key"] && $0["effect"] == toleration["effect"] && $0["operator"] == "Exists"
        }) {
            tolerations.append(toleration)
        }
        spec["tolerations"] = .array(tolerations)
        return spec
    }

    /// Upstream `NodeShouldRunDaemonPod`: whether a daemon pod should be started on `node`, and whether one that
    /// runs there may continue (it may despite an untolerated NoSchedule taint, not despite NoExecute).
    public static func shouldRun(daemonSet: JSON, on node: JSON) -> (run: Bool, continueRunning: Bool) {
        let spec = addingDefaultTolerations(daemonSet["spec"]["template"]["spec"])
        if let nodeName = spec["nodeName"].stringValue, !nodeName.isEmpty, nodeName != node.name {
            return (false, false)
        }
        guard WorkloadNodeFit.matchesAffinity(podSpec: spec, node: node) else { return (false, false) }
        let tolerations = spec["tolerations"].arrayValue ?? []
        if WorkloadNodeFit.untoleratedTaint(node: node, tolerations: tolerations, effects: ["NoSchedule", "NoExecute"])
            != nil
        {
            let noExecute = WorkloadNodeFit.untoleratedTaint(
                node: node, tolerations: tolerations, effects: ["NoExecute"])
            return (false, noExecute == nil)
        }
        return (true, true)
    }

    /// The node a daemon pod targets: `spec.nodeName`, else the node its affinity pins it to.
    public static func targetNode(of pod: JSON) -> String? {
        if let name = pod["spec"]["nodeName"].stringValue, !name.isEmpty { return name }
        let terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"]
        for term in terms.arrayValue ?? [] {
            for field in term["matchFields"].arrayValue ?? []
            where field["key"] == "metadata.name" && field["operator"] == "In" {
                if let values = field["values"].arrayValue, values.count == 1, let name = values[0].stringValue {
                    return name
                }
            }
        }
        return nil
    }

    /// Reconciles `daemonSet` against the cluster's nodes, the pods of its namespace and its ControllerRevisions.
    public static func reconcile(
        daemonSet: JSON, nodes: [JSON], pods: [JSON], revisions: [JSON] = [], now: Date
    ) -> WorkloadReconcileResult {
        var sync = DaemonSetSync(daemonSet: daemonSet, nodes: nodes, now: now)
        sync.run(pods: pods, revisions: revisions)
        return sync.finish()
    }
}

/// One DaemonSet sync.
struct DaemonSetSync {
    var ds: JSON
    let original: JSON
    let nodes: [JSON]
    let now: Date
    var writes = WorkloadWrites()
    var result = WorkloadReconcileResult()
    var hash = ""
    /// Daemon pods by target node (terminal pods being deleted are left out, as upstream).
    var podsByNode: [String: [WorkloadPod]] = [:]

    /// `shouldRun` per node name, computed once per sync (the spec does not change within it).
    let fits: [String: (run: Bool, continueRunning: Bool)]

    init(daemonSet: JSON, nodes: [JSON], now: Date) {
        ds = daemonSet
        original = daemonSet
        self.nodes = nodes.sorted { ($0.name ?? "") < ($1.name ?? "") }
        self.now = now
        var fits: [String: (run: Bool, continueRunning: Bool)] = [:]
        for node in nodes { fits[node.name ?? ""] = DaemonSetReconciler.shouldRun(daemonSet: daemonSet, on: node) }
        self.fits = fits
    }

    func fit(_ node: JSON) -> (run: Bool, continueRunning: Bool) { fits[node.name ?? ""] ?? (false, false) }

    var minReadySeconds: Int { ds["spec"]["minReadySeconds"].intValue ?? 0 }
    var isRollingUpdate: Bool {
        (ds["spec"]["updateStrategy"]["type"].stringValue ?? "RollingUpdate") == "RollingUpdate"
    }

    mutating func run(pods: [JSON], revisions: [JSON]) {
        guard let selector = try? LabelSelector(labelSelector: ds["spec"]["selector"]) else { return }
        if selector.isEverything {
            writes.event(
                ds, "Warning", "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        }
        let history = ControllerRevisions.sync(owner: ds, ownerResource: .daemonSets, revisions: revisions)
        writes.append(contentsOf: history.actions)
        if let collisions = history.collisionCount {
            ds["status"]["collisionCount"] = .int(collisions)
            return
        }
        hash = history.current["metadata"]["labels"][ControllerRevisions.hashLabel].stringValue ?? ""

        let claim = ControllerClaim.claim(
            pods, resource: .pods, owner: ds, ownerResource: .daemonSets, selector: selector)
        writes.append(contentsOf: claim.actions)
        for pod in claim.claimed.map(WorkloadPod.init) where !(pod.isTerminal && pod.isTerminating) {
            guard let node = DaemonSetReconciler.targetNode(of: pod.object) else { continue }
            podsByNode[node, default: []].append(pod)
        }

        if ds["metadata"]["deletionTimestamp"].isNull {
            let changed = manage()
            // Upstream waits for the manage loop's creations and deletions to be observed (expectations) before
            // rolling; so does this.
            if !changed, isRollingUpdate { rollingUpdate() }
            cleanupHistory(old: history.old)
        }
        updateStatus()
    }

    func finish() -> WorkloadReconcileResult {
        var result = self.result
        var writes = self.writes
        if ds["status"] != original["status"] { writes.updateStatus(.daemonSets, ds) }
        result.actions = writes.actions
        return result
    }

    func isUpdated(_ pod: WorkloadPod) -> Bool {
        if !hash.isEmpty, pod.object.labels[ControllerRevisions.hashLabel] == hash { return true }
        if let generation = ds.annotations["deprecated.daemonset.template.generation"],
            pod.object.labels["pod-template-generation"] == generation
        {
            return true
        }
        return false
    }

    static func olderFirst(_ a: WorkloadPod, _ b: WorkloadPod) -> Bool {
        // Upstream `podByCreationTimestampAndPhase`: scheduled first, then oldest, then by name.
        if a.nodeName.isEmpty != b.nodeName.isEmpty { return !a.nodeName.isEmpty }
        if a.creationTime != b.creationTime {
            guard let ta = a.creationTime else { return false }
            guard let tb = b.creationTime else { return true }
            return ta < tb
        }
        return a.name < b.name
    }

    var allowsSurge: Bool { isRollingUpdate && surgeSetting > 0 }

    var surgeSetting: Int {
        let desired = nodes.filter { fit($0).run }.count
        return IntOrPercent.scaled(
            ds["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"], total: desired, roundUp: true) ?? 0
    }

    /// Upstream `manage` + `podsShouldBeOnNode`; returns whether it created or deleted anything.
    mutating func manage() -> Bool {
        var needing: [String] = []
        var deleting: [WorkloadPod] = []
        let surge = allowsSurge
        for node in nodes {
            let name = node.name ?? ""
            let (run, continueRunning) = fit(node)
            let daemonPods = podsByNode[name]
            if run && daemonPods == nil {
                needing.append(name)
            } else if continueRunning, let daemonPods {
                var running: [WorkloadPod] = []
                for pod in daemonPods where !pod.isTerminating {
                    if pod.phase == "Failed" {
                        writes.event(
                            ds, "Warning", "FailedDaemonPod",
                            "Found failed daemon pod \(pod.object.namespace ?? "default")/\(pod.name) on node \(name), will try to kill it"
                        )
                        deleting.append(pod)
                    } else if pod.phase == "Succeeded" {
                        deleting.append(pod)
                    } else {
                        running.append(pod)
                    }
                }
                running.sort(by: Self.olderFirst)
                if !surge {
                    // One daemon per node: keep the oldest.
                    deleting += running.dropFirst()
                } else {
                    // With surge, an old and a new pod may overlap until the new one is available.
                    var oldestNew: WorkloadPod?
                    var oldestOld: WorkloadPod?
                    for pod in running {
                        if isUpdated(pod) {
                            if oldestNew == nil { oldestNew = pod } else { deleting.append(pod) }
                        } else {
                            if oldestOld == nil { oldestOld = pod } else { deleting.append(pod) }
                        }
                    }
                    if let oldestNew, let oldestOld,
                        !oldestOld.isReady || oldestNew.isAvailable(minReadySeconds: minReadySeconds, now: now)
                    {
                        deleting.append(oldestOld)
                    }
                }
            } else if !continueRunning, let daemonPods {
                deleting += daemonPods.filter { !$0.isTerminating }
            }
        }
        // Unscheduled pods aimed at nodes that no longer exist would never be bound nor collected.
        let known = Set(nodes.compactMap(\.name))
        for (node, daemonPods) in podsByNode.sorted(by: { $0.key < $1.key }) where !known.contains(node) {
            deleting += daemonPods.filter { $0.nodeName.isEmpty && !$0.isTerminating }
        }
        return syncNodes(delete: deleting, create: needing)
    }

    /// Upstream `syncNodes`: create pinned pods for nodes and delete pods, within the burst limit.
    mutating func syncNodes(delete: [WorkloadPod], create nodeNames: [String]) -> Bool {
        for name in nodeNames.prefix(DaemonSetReconciler.burstReplicas) {
            writes.create(.pods, newPod(for: name))
        }
        var seen = Set<String>()
        for pod in delete.prefix(DaemonSetReconciler.burstReplicas) where seen.insert(pod.uid).inserted {
            writes.delete(.pods, pod.object)
            writes.event(ds, "Normal", "SuccessfulDelete", "Deleted pod: \(pod.name)")
        }
        return !nodeNames.isEmpty || !delete.isEmpty
    }

    /// A daemon pod for `node`: template plus revision label, default tolerations, and required node affinity
    /// replaced by `matchFields metadata.name In [node]` so the scheduler binds it there.
    func newPod(for node: String) -> JSON {
        var template = ds["spec"]["template"]
        template["spec"] = DaemonSetReconciler.addingDefaultTolerations(template["spec"])
        if !hash.isEmpty { template["metadata"]["labels"][ControllerRevisions.hashLabel] = .string(hash) }
        if let generation = ds.annotations["deprecated.daemonset.template.generation"] {
            template["metadata"]["labels"]["pod-template-generation"] = .string(generation)
        }
        let term: JSON = ["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]
        template["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = [
            "nodeSelectorTerms": [term]
        ]
        return WorkloadPodTemplate.pod(from: template, owner: ds, ownerResource: .daemonSets)
    }

    /// The pods on a node split into the updated and the old one; nil when there are several of a kind (the manage
    /// loop cleans those up first).
    func updatedAndOld(_ pods: [WorkloadPod]) -> (new: WorkloadPod?, old: WorkloadPod?)? {
        var new: WorkloadPod?
        var old: WorkloadPod?
        for pod in pods where !pod.isTerminating {
            if isUpdated(pod) {
                if new != nil { return nil }
                new = pod
            } else {
                if old != nil { return nil }
                old = pod
            }
        }
        return (new, old)
    }

    /// Upstream `rollingUpdate`: replace old pods within maxUnavailable (or surge within maxSurge).
    mutating func rollingUpdate() {
        var desired = 0
        var byNode = podsByNode
        var eligible: [String: Bool] = [:]
        for node in nodes {
            let run = fit(node).run
            eligible[node.name ?? ""] = run
            guard run else { continue }
            desired += 1
            if byNode[node.name ?? ""] == nil { byNode[node.name ?? ""] = [] }
        }
        let rolling = ds["spec"]["updateStrategy"]["rollingUpdate"]
        var maxUnavailable =
            IntOrPercent.scaled(
                rolling["maxUnavailable"].isNull ? 1 : rolling["maxUnavailable"], total: desired, roundUp: true) ?? 1
        let maxSurge =
            IntOrPercent.scaled(rolling["maxSurge"].isNull ? 0 : rolling["maxSurge"], total: desired, roundUp: true)
            ?? 0
        if desired > 0 && maxUnavailable == 0 && maxSurge == 0 { maxUnavailable = 1 }
        let nodesInOrder = byNode.keys.sorted()

        if maxSurge == 0 {
            var unavailable = 0
            var replaceNow: [WorkloadPod] = []
            var candidates: [WorkloadPod] = []
            for node in nodesInOrder {
                guard let (new, old) = updatedAndOld(byNode[node] ?? []) else {
                    unavailable += 1
                    continue
                }
                switch (new, old) {
                case (nil, nil), (.some, .some):
                    unavailable += 1
                case (.some(let new), nil):
                    if !new.isAvailable(minReadySeconds: minReadySeconds, now: now) { unavailable += 1 }
                case (nil, .some(let old)):
                    if !old.isAvailable(minReadySeconds: minReadySeconds, now: now) {
                        replaceNow.append(old)
                    } else if unavailable < maxUnavailable {
                        candidates.append(old)
                    }
                }
            }
            let budget = min(max(0, maxUnavailable - unavailable), candidates.count)
            _ = syncNodes(delete: replaceNow + candidates.prefix(budget), create: [])
            return
        }

        var deleting: [WorkloadPod] = []
        var notEligibleOld: [WorkloadPod] = []
        var candidateNodes: [String] = []
        var allowedNodes: [String] = []
        var surging = 0
        var available = 0
        for node in nodesInOrder {
            guard let (new, old) = updatedAndOld(byNode[node] ?? []) else {
                surging += 1
                continue
            }
            if let pod = old ?? new, pod.isAvailable(minReadySeconds: minReadySeconds, now: now) { available += 1 }
            switch (new, old) {
            case (_, nil):
                break
            case (nil, .some(let old)):
                let run = eligible[node] ?? false
                if !old.isAvailable(minReadySeconds: minReadySeconds, now: now) {
                    if !run { deleting.append(old) } else { allowedNodes.append(node) }
                } else if !run {
                    notEligibleOld.append(old)
                } else if surging < maxSurge {
                    candidateNodes.append(node)
                }
            case (.some(let new), .some(let old)):
                if !new.isAvailable(minReadySeconds: minReadySeconds, now: now) {
                    surging += 1
                } else {
                    deleting.append(old)
                }
            }
        }
        // With surge the owner expects full availability: pods on nodes that no longer qualify go only as
        // replacements elsewhere become available.
        let deletable = min(max(0, available - desired), notEligibleOld.count)
        deleting += notEligibleOld.prefix(deletable)
        let remaining = min(max(0, maxSurge - surging), candidateNodes.count)
        _ = syncNodes(delete: deleting, create: allowedNodes + candidateNodes.prefix(remaining))
    }

    /// Upstream `cleanupHistory`: keep `revisionHistoryLimit` old revisions besides those live pods use.
    mutating func cleanupHistory(old: [JSON]) {
        let limit = ds["spec"]["revisionHistoryLimit"].intValue ?? 10
        var inUse = Set<String>([hash])
        for pods in podsByNode.values {
            for pod in pods { if let label = pod.object.labels[ControllerRevisions.hashLabel] { inUse.insert(label) } }
        }
        for revision in ControllerRevisions.excess(old, limit: limit, inUse: inUse) {
            writes.delete(.controllerRevisions, revision)
        }
    }

    /// Upstream `updateDaemonSetStatus`, counted on the pods as they were before this sync's changes.
    mutating func updateStatus() {
        var desired = 0
        var current = 0
        var misscheduled = 0
        var ready = 0
        var available = 0
        var updated = 0
        for node in nodes {
            let name = node.name ?? ""
            let run = fit(node).run
            let daemonPods = (podsByNode[name] ?? []).sorted(by: Self.olderFirst)
            guard run else {
                if !daemonPods.isEmpty { misscheduled += 1 }
                continue
            }
            desired += 1
            guard let pod = daemonPods.first else { continue }
            current += 1
            if pod.isReady {
                ready += 1
                if pod.isAvailable(minReadySeconds: minReadySeconds, now: now) {
                    available += 1
                } else if let wait = pod.secondsUntilAvailable(minReadySeconds: minReadySeconds, now: now) {
                    result.requeue(after: wait)
                }
            }
            if isUpdated(pod) { updated += 1 }
        }
        var status: JSON = [
            "currentNumberScheduled": .int(current), "numberMisscheduled": .int(misscheduled),
            "desiredNumberScheduled": .int(desired), "numberReady": .int(ready),
        ]
        if let generation = ds["metadata"]["generation"].int64Value, generation > 0 {
            status["observedGeneration"] = .int(generation)
        }
        if updated > 0 { status["updatedNumberScheduled"] = .int(updated) }
        if available > 0 { status["numberAvailable"] = .int(available) }
        if desired - available > 0 { status["numberUnavailable"] = .int(desired - available) }
        if !ds["status"]["collisionCount"].isNull { status["collisionCount"] = ds["status"]["collisionCount"] }
        if !ds["status"]["conditions"].isNull { status["conditions"] = ds["status"]["conditions"] }
        ds["status"] = status
    }
}
