import Foundation
import SkiffModel

/// The ReplicaSet controller's reconcile (upstream `pkg/controller/replicaset`): keep `spec.replicas` active pods
/// of the template and publish the status.
public enum ReplicaSetReconciler {
    /// At most this many pods are created or deleted per reconcile (upstream `BurstReplicas`).
    public static let burstReplicas = 500

    /// Reconciles `replicaSet` against the pods of its namespace.
    ///
    /// - Parameters:
    ///   - pods: every pod in the ReplicaSet's namespace (or at least those it owns and those its selector
    ///     matches); inactive (terminal or deleting) pods are ignored.
    ///   - relatedPods: active pods of the ReplicaSet's siblings (same Deployment), used to prefer deleting pods
    ///     that share a node; defaults to the ReplicaSet's own.
    ///   - now: the current time, for `minReadySeconds`.
    public static func reconcile(replicaSet: JSON, pods: [JSON], relatedPods: [JSON] = [], now: Date)
        -> WorkloadReconcileResult
    {
        guard let selector = try? LabelSelector(labelSelector: replicaSet["spec"]["selector"]) else {
            // Upstream logs an unparsable selector and gives up; validation keeps it from happening.
            return WorkloadReconcileResult()
        }
        var writes = WorkloadWrites()
        // Pods controlled by someone else are most of a busy namespace and can never be claimed: drop them first.
        let uid = replicaSet.uid
        let active = pods.filter { pod in
            if let owner = WorkloadReference.controllerUID(of: pod), owner != uid { return false }
            return WorkloadPod(pod).isActive
        }
        let claim = ControllerClaim.claim(
            active, resource: .pods, owner: replicaSet, ownerResource: .replicaSets, selector: selector)
        writes.append(contentsOf: claim.actions)
        let owned = claim.claimed.map(WorkloadPod.init)

        let desired = max(0, replicaSet["spec"]["replicas"].intValue ?? 1)
        if replicaSet["metadata"]["deletionTimestamp"].isNull {
            let difference = owned.count - desired
            if difference < 0 {
                for _ in 0..<min(-difference, burstReplicas) {
                    writes.create(
                        .pods,
                        WorkloadPodTemplate.pod(
                            from: replicaSet["spec"]["template"], owner: replicaSet, ownerResource: .replicaSets))
                }
            } else if difference > 0 {
                let count = min(difference, burstReplicas)
                let related = relatedPods.isEmpty ? owned : relatedPods.map(WorkloadPod.init)
                let ranks = PodDeletionOrder.ranksBySharedNode(owned, related: related)
                for pod in PodDeletionOrder.sorted(owned, ranks: ranks).prefix(count) {
                    writes.delete(.pods, pod.object)
                    writes.event(replicaSet, "Normal", "SuccessfulDelete", "Deleted pod: \(pod.name)")
                }
            }
        }

        var result = WorkloadReconcileResult()
        let minReadySeconds = replicaSet["spec"]["minReadySeconds"].intValue ?? 0
        let status = computeStatus(replicaSet: replicaSet, owned: owned, now: now)
        if status != replicaSet["status"] {
            var updated = replicaSet
            updated["status"] = status
            writes.updateStatus(.replicaSets, updated)
        }
        // Wake up when the next ready pod crosses minReadySeconds (upstream requeues after minReadySeconds).
        for pod in owned {
            if let wait = pod.secondsUntilAvailable(minReadySeconds: minReadySeconds, now: now) {
                result.requeue(after: wait)
            }
        }
        result.actions = writes.actions
        return result
    }

    /// The status upstream's `calculateStatus` derives from the owned active pods.
    public static func computeStatus(replicaSet: JSON, owned: [WorkloadPod], now: Date) -> JSON {
        let minReadySeconds = replicaSet["spec"]["minReadySeconds"].intValue ?? 0
        let templateLabels = replicaSet["spec"]["template"]["metadata"]["labels"].objectValue ?? [:]
        var fullyLabeled = 0
        var ready = 0
        var available = 0
        for pod in owned {
            let labels = pod.object["metadata"]["labels"]
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { fullyLabeled += 1 }
            if pod.isReady {
                ready += 1
                if pod.isAvailable(minReadySeconds: minReadySeconds, now: now) { available += 1 }
            }
        }
        var status = replicaSet["status"].objectValue.map(JSON.object) ?? .emptyObject
        // Field order and omission follow the Go struct: replicas always, the other counts only when non-zero.
        var next: JSON = ["replicas": .int(owned.count)]
        next["fullyLabeledReplicas"] = fullyLabeled > 0 ? .int(fullyLabeled) : nil
        next["readyReplicas"] = ready > 0 ? .int(ready) : nil
        next["availableReplicas"] = available > 0 ? .int(available) : nil
        if let generation = replicaSet["metadata"]["generation"].int64Value, generation > 0 {
            next["observedGeneration"] = .int(generation)
        }
        if let conditions = status["conditions"].arrayValue, !conditions.isEmpty {
            next["conditions"] = .array(conditions)
        }
        status = next.removingNulls()
        return status
    }
}

extension JSON {
    /// An object without its `null` members (one level), so optional fields can be assigned `nil` to omit them.
    func removingNulls() -> JSON {
        guard case .object(let object) = self else { return self }
        return .object(JSONObject(object.filter { !$0.value.isNull }.map { ($0.key, $0.value) }))
    }
}
