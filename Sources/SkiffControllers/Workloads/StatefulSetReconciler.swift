import Foundation
import SkiffModel

/// The StatefulSet controller's reconcile (upstream `pkg/controller/statefulset`): pods with stable names
/// `<set>-<ordinal>`, hostnames and claims, created in order and removed from the highest ordinal
/// (`OrderedReady`), or all at once (`Parallel`), updated from the highest ordinal down to the partition.
public enum StatefulSetReconciler {
    /// The label with a pod's own name (what a headless Service selects one pod by).
    public static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    /// The label with a pod's ordinal.
    public static let podIndexLabel = "apps.kubernetes.io/pod-index"

    /// `<set>-<ordinal>`.
    public static func podName(set: String, ordinal: Int) -> String { "\(set)-\(ordinal)" }

    /// The set name and ordinal a pod name encodes (`web-3` → (`web`, 3)).
    public static func parentAndOrdinal(_ podName: String) -> (parent: String, ordinal: Int)? {
        guard let dash = podName.lastIndex(of: "-") else { return nil }
        let digits = podName[podName.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let ordinal = Int(digits)
        else {
            return nil
        }
        return (String(podName[..<dash]), ordinal)
    }

    /// The claim name for a volume claim template and ordinal: `<claim>-<set>-<ordinal>`.
    public static func claimName(template: String, set: String, ordinal: Int) -> String {
        "\(template)-\(set)-\(ordinal)"
    }

    /// Reconciles `statefulSet` against the pods, PersistentVolumeClaims and ControllerRevisions of its namespace.
    public static func reconcile(
        statefulSet: JSON, pods: [JSON], claims: [JSON] = [], revisions: [JSON] = [], now: Date
    ) -> WorkloadReconcileResult {
        var sync = StatefulSetSync(set: statefulSet, now: now)
        sync.run(pods: pods, claims: claims, revisions: revisions)
        return sync.finish()
    }
}

/// One StatefulSet sync.
struct StatefulSetSync {
    var sts: JSON
    let original: JSON
    let now: Date
    var writes = WorkloadWrites()
    var result = WorkloadReconcileResult()
    var currentRevision = ""
    var updateRevision = ""
    /// The template each revision name stands for (current and update).
    var templates: [String: JSON] = [:]
    var existingClaims = Set<String>()

    init(set: JSON, now: Date) {
        sts = set
        original = set
        self.now = now
    }

    var name: String { sts.name ?? "" }
    var replicas: Int { max(0, sts["spec"]["replicas"].intValue ?? 1) }
    var start: Int { max(0, sts["spec"]["ordinals"]["start"].intValue ?? 0) }
    var monotonic: Bool { sts["spec"]["podManagementPolicy"].stringValue != "Parallel" }
    var minReadySeconds: Int { sts["spec"]["minReadySeconds"].intValue ?? 0 }
    var isRollingUpdate: Bool {
        (sts["spec"]["updateStrategy"]["type"].stringValue ?? "RollingUpdate") == "RollingUpdate"
    }
    var partition: Int? {
        guard isRollingUpdate else { return nil }
        return sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"].intValue
    }

    static func revision(of pod: WorkloadPod) -> String { pod.object.labels[ControllerRevisions.hashLabel] ?? "" }

    /// Running, ready and not being deleted.
    static func isHealthy(_ pod: WorkloadPod) -> Bool { pod.isRunningAndReady && !pod.isTerminating }

    func isAvailable(_ pod: WorkloadPod) -> Bool {
        pod.isRunningAndReady && pod.isAvailable(minReadySeconds: minReadySeconds, now: now)
    }

    mutating func run(pods input: [JSON], claims: [JSON], revisions: [JSON]) {
        guard let selector = try? LabelSelector(labelSelector: sts["spec"]["selector"]) else { return }
        existingClaims = Set(claims.compactMap(\.name))

        let history = ControllerRevisions.sync(owner: sts, ownerResource: .statefulSets, revisions: revisions)
        writes.append(contentsOf: history.actions)
        if let collisions = history.collisionCount {
            sts["status"]["collisionCount"] = .int(collisions)
            return
        }
        updateRevision = history.current.name ?? ""
        templates[updateRevision] = sts["spec"]["template"]
        let recorded = sts["status"]["currentRevision"].stringValue ?? ""
        if let current = history.old.first(where: { $0.name == recorded }) {
            currentRevision = recorded
            templates[recorded] = current["data"]["spec"]["template"].removingKey("$patch")
        } else {
            currentRevision = updateRevision
        }

        let claim = ControllerClaim.claim(
            input, resource: .pods, owner: sts, ownerResource: .statefulSets
        ) { pod in
            selector.matches(object: pod) && StatefulSetReconciler.parentAndOrdinal(pod.name ?? "")?.parent == self.name
        }
        writes.append(contentsOf: claim.actions)
        let pods = claim.claimed.map(WorkloadPod.init)

        var slots = [WorkloadPod?](repeating: nil, count: replicas)
        var condemned: [WorkloadPod] = []
        for pod in pods {
            guard let ordinal = StatefulSetReconciler.parentAndOrdinal(pod.name)?.ordinal else { continue }
            if ordinal >= start && ordinal < start + replicas {
                slots[ordinal - start] = pod
            } else {
                condemned.append(pod)
            }
        }
        condemned.sort { (ordinal($0)) > (ordinal($1)) }
        var status = countStatus(pods)
        defer { finishStatus(&status, history: history, pods: pods) }

        guard sts["metadata"]["deletionTimestamp"].isNull else { return }

        // The first unhealthy pod: lowest ordinal among the replicas, else the lowest condemned one.
        let firstUnhealthy =
            slots.compactMap { $0 }.first { !Self.isHealthy($0) }?.uid
            ?? condemned.reversed().first { !Self.isHealthy($0) }?.uid

        for index in slots.indices {
            let ordinal = start + index
            guard let pod = slots[index] else {
                createPod(ordinal: ordinal)
                if monotonic { return }
                continue
            }
            if pod.isTerminal {
                // Failed or finished pods are deleted and come back on a later sync.
                if !pod.isTerminating { deletePod(pod) }
                if monotonic { return }
                continue
            }
            createMissingClaims(ordinal: ordinal, podName: pod.name)
            if pod.isTerminating && monotonic { return }
            if !pod.isRunningAndReady && monotonic { return }
            if !isAvailable(pod) && monotonic {
                if let wait = pod.secondsUntilAvailable(minReadySeconds: minReadySeconds, now: now) {
                    result.requeue(after: wait)
                }
                return
            }
            if pod.object.labels[StatefulSetReconciler.podNameLabel] != pod.name {
                var fixed = pod.object
                fixed["metadata"]["labels"][StatefulSetReconciler.podNameLabel] = .string(pod.name)
                writes.update(.pods, fixed)
            }
        }

        // Scale down from the highest ordinal; in OrderedReady one at a time and only past healthy pods.
        for pod in condemned {
            if pod.isTerminating {
                if monotonic { return }
                continue
            }
            if monotonic && (!pod.isRunningAndReady || !isAvailable(pod)) && pod.uid != firstUnhealthy { return }
            deletePod(pod)
            if monotonic { return }
        }

        guard isRollingUpdate else { return }
        // Replace the highest outdated pod at or above the partition, one at a time, once the others are healthy.
        let lowest = min(max(0, partition ?? 0), slots.count)
        for index in stride(from: slots.count - 1, through: lowest, by: -1) {
            guard let pod = slots[index] else { return }
            if Self.revision(of: pod) != updateRevision && !pod.isTerminating {
                deletePod(pod)
                return
            }
            if !Self.isHealthy(pod) { return }
        }
    }

    func ordinal(_ pod: WorkloadPod) -> Int { StatefulSetReconciler.parentAndOrdinal(pod.name)?.ordinal ?? -1 }

    /// Upstream `newVersionedStatefulSetPod`: below the partition pods keep the current revision.
    mutating func createPod(ordinal: Int) {
        let rolling = sts["spec"]["updateStrategy"]["rollingUpdate"]
        let useCurrent: Bool
        if !rolling.isNull {
            useCurrent = ordinal < start + (rolling["partition"].intValue ?? 0)
        } else {
            useCurrent = isRollingUpdate && ordinal < start + (sts["status"]["currentReplicas"].intValue ?? 0)
        }
        let revision = useCurrent ? currentRevision : updateRevision
        let template = templates[revision] ?? sts["spec"]["template"]
        let podName = StatefulSetReconciler.podName(set: name, ordinal: ordinal)
        var pod = WorkloadPodTemplate.pod(from: template, owner: sts, ownerResource: .statefulSets, name: podName)
        pod["metadata"]["labels"][StatefulSetReconciler.podNameLabel] = .string(podName)
        pod["metadata"]["labels"][StatefulSetReconciler.podIndexLabel] = .string(String(ordinal))
        pod["metadata"]["labels"][ControllerRevisions.hashLabel] = .string(revision)
        pod["spec"]["hostname"] = .string(podName)
        if let service = sts["spec"]["serviceName"].stringValue, !service.isEmpty {
            pod["spec"]["subdomain"] = .string(service)
        }
        // Each claim template becomes a volume bound to this ordinal's claim.
        var volumes = (pod["spec"]["volumes"].arrayValue ?? [])
        for template in sts["spec"]["volumeClaimTemplates"].arrayValue ?? [] {
            guard let claim = template["metadata"]["name"].stringValue else { continue }
            volumes.removeAll { $0["name"].stringValue == claim }
            volumes.append([
                "name": .string(claim),
                "persistentVolumeClaim": [
                    "claimName": .string(StatefulSetReconciler.claimName(template: claim, set: name, ordinal: ordinal))
                ],
            ])
        }
        if !volumes.isEmpty { pod["spec"]["volumes"] = .array(volumes) }
        createMissingClaims(ordinal: ordinal, podName: podName)
        writes.create(.pods, pod)
        writes.event(sts, "Normal", "SuccessfulCreate", "create Pod \(podName) in StatefulSet \(name) successful")
    }

    /// Creates the ordinal's claims that do not exist yet (claims are kept on scale-down and deletion: Retain).
    mutating func createMissingClaims(ordinal: Int, podName: String) {
        for template in sts["spec"]["volumeClaimTemplates"].arrayValue ?? [] {
            guard let claim = template["metadata"]["name"].stringValue else { continue }
            let claimName = StatefulSetReconciler.claimName(template: claim, set: name, ordinal: ordinal)
            guard !existingClaims.contains(claimName) else { continue }
            existingClaims.insert(claimName)
            var object: JSON = [
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": ["name": .string(claimName), "namespace": .string(sts.namespace ?? "default")],
                "spec": template["spec"],
            ]
            var labels = template["metadata"]["labels"].objectValue.map(JSON.object) ?? .emptyObject
            for (key, value) in sts["spec"]["selector"]["matchLabels"].objectValue ?? [:] { labels[key] = value }
            if labels.objectValue?.isEmpty == false { object["metadata"]["labels"] = labels }
            if let annotations = template["metadata"]["annotations"].objectValue, !annotations.isEmpty {
                object["metadata"]["annotations"] = .object(annotations)
            }
            writes.create(.persistentVolumeClaims, object)
            writes.event(
                sts, "Normal", "SuccessfulCreate",
                "create Claim \(claimName) Pod \(podName) in StatefulSet \(name) success")
        }
    }

    mutating func deletePod(_ pod: WorkloadPod) {
        writes.delete(.pods, pod.object)
        writes.event(sts, "Normal", "SuccessfulDelete", "delete Pod \(pod.name) in StatefulSet \(name) successful")
    }

    struct Counts {
        var replicas = 0
        var ready = 0
        var available = 0
        var current = 0
        var updated = 0
    }

    /// Upstream's status counts over the pods as they were observed.
    func countStatus(_ pods: [WorkloadPod]) -> Counts {
        var counts = Counts()
        for pod in pods {
            let live = !pod.isTerminating
            if live { counts.replicas += 1 }
            if pod.isRunningAndReady {
                counts.ready += 1
                if isAvailable(pod) { counts.available += 1 }
            }
            if live {
                if Self.revision(of: pod) == currentRevision { counts.current += 1 }
                if Self.revision(of: pod) == updateRevision { counts.updated += 1 }
            }
        }
        return counts
    }

    /// Writes the status (with upstream's `completeRollingUpdate`) and trims the revision history.
    mutating func finishStatus(_ counts: inout Counts, history: ControllerRevisions.History, pods: [WorkloadPod]) {
        var currentName = currentRevision
        if isRollingUpdate && counts.updated == counts.replicas && counts.ready == counts.replicas {
            counts.current = counts.updated
            currentName = updateRevision
        }
        var status: JSON = [:]
        if let generation = sts["metadata"]["generation"].int64Value, generation > 0 {
            status["observedGeneration"] = .int(generation)
        }
        status["replicas"] = .int(counts.replicas)
        if counts.ready > 0 { status["readyReplicas"] = .int(counts.ready) }
        if counts.current > 0 { status["currentReplicas"] = .int(counts.current) }
        if counts.updated > 0 { status["updatedReplicas"] = .int(counts.updated) }
        if !currentName.isEmpty { status["currentRevision"] = .string(currentName) }
        if !updateRevision.isEmpty { status["updateRevision"] = .string(updateRevision) }
        status["collisionCount"] = .int(sts["status"]["collisionCount"].intValue ?? 0)
        if !sts["status"]["conditions"].isNull { status["conditions"] = sts["status"]["conditions"] }
        status["availableReplicas"] = .int(counts.available)
        sts["status"] = status

        // History: keep what pods, the current and the update revision use, plus revisionHistoryLimit others.
        let limit = sts["spec"]["revisionHistoryLimit"].intValue ?? 10
        var inUse: Set<String> = [currentName, updateRevision, currentRevision]
        for pod in pods { inUse.insert(Self.revision(of: pod)) }
        for revision in ControllerRevisions.excess(history.old, limit: limit, inUse: inUse) {
            writes.delete(.controllerRevisions, revision)
        }
        for pod in pods {
            if let wait = pod.secondsUntilAvailable(minReadySeconds: minReadySeconds, now: now) {
                result.requeue(after: wait)
            }
        }
    }

    func finish() -> WorkloadReconcileResult {
        var result = self.result
        var writes = self.writes
        if sts["status"] != original["status"] { writes.updateStatus(.statefulSets, sts) }
        result.actions = writes.actions
        return result
    }
}

extension JSON {
    /// An object without `key`.
    func removingKey(_ key: String) -> JSON {
        var copy = self
        copy.removeValue(forKey: key)
        return copy
    }
}
