import Foundation
import SkiffModel

/// The order in which a controller picks pods to delete when scaling down (upstream `ActivePodsWithRanks`):
/// the pod that sorts first goes first.
///
/// 1. unscheduled before scheduled;
/// 2. `Pending` before `Unknown` before `Running`;
/// 3. not ready before ready;
/// 4. lower `controller.kubernetes.io/pod-deletion-cost` first;
/// 5. pods sharing their node with more pods of the same owner first (the rank);
/// 6. among ready pods, the one ready for the shorter time first;
/// 7. more container restarts first;
/// 8. newer before older (a missing creation time counts as newest).
///
/// Upstream buckets ages logarithmically (feature `LogarithmicScaleDown`) and then breaks ties by uid, which makes
/// the choice look random; this compares exact times and breaks ties by name, so tests can predict it.
public enum PodDeletionOrder {
    /// `pods` sorted into deletion order; `ranks` (by pod uid) counts same-owner pods on the pod's node.
    public static func sorted(_ pods: [WorkloadPod], ranks: [String: Int] = [:]) -> [WorkloadPod] {
        pods.sorted { deletesBefore($0, $1, ranks: ranks) }
    }

    /// For each pod, how many of `related` (active pods of the same owner, including itself) run on its node;
    /// unscheduled pods rank 0.
    public static func ranksBySharedNode(_ pods: [WorkloadPod], related: [WorkloadPod]) -> [String: Int] {
        var perNode: [String: Int] = [:]
        for pod in related where pod.isActive && !pod.nodeName.isEmpty { perNode[pod.nodeName, default: 0] += 1 }
        var ranks: [String: Int] = [:]
        for pod in pods { ranks[pod.uid] = pod.nodeName.isEmpty ? 0 : perNode[pod.nodeName, default: 0] }
        return ranks
    }

    static func phaseRank(_ phase: String) -> Int {
        switch phase {
        case "Pending": return 0
        case "Unknown": return 1
        case "Running": return 2
        default: return 3
        }
    }

    static func deletesBefore(_ a: WorkloadPod, _ b: WorkloadPod, ranks: [String: Int]) -> Bool {
        if a.nodeName.isEmpty != b.nodeName.isEmpty { return a.nodeName.isEmpty }
        let (phaseA, phaseB) = (phaseRank(a.phase), phaseRank(b.phase))
        if phaseA != phaseB { return phaseA < phaseB }
        if a.isReady != b.isReady { return !a.isReady }
        if a.deletionCost != b.deletionCost { return a.deletionCost < b.deletionCost }
        let (rankA, rankB) = (ranks[a.uid, default: 0], ranks[b.uid, default: 0])
        if rankA != rankB { return rankA > rankB }
        if a.isReady && b.isReady {
            let (readyA, readyB) = (a.readySince, b.readySince)
            if readyA != readyB { return laterOrMissing(readyA, readyB) }
        }
        let (restartsA, restartsB) = (a.maxRestartCount, b.maxRestartCount)
        if restartsA != restartsB { return restartsA > restartsB }
        let (createdA, createdB) = (a.creationTime, b.creationTime)
        if createdA != createdB { return laterOrMissing(createdA, createdB) }
        return a.name > b.name
    }

    /// Upstream `afterOrZero`: a missing time sorts first, then the later time.
    static func laterOrMissing(_ a: Date?, _ b: Date?) -> Bool {
        guard let a else { return true }
        guard let b else { return false }
        return a > b
    }
}
