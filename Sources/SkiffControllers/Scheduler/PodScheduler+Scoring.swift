import Foundation

extension PodScheduler {
    /// Scores the feasible nodes with upstream's default score plugins and weights and returns the best one; ties
    /// go to the highest hash of pod uid and node name, so replicas fan out yet every run picks the same.
    mutating func selectHost(_ pod: PreparedPod, feasible: [Int]) -> (slot: Int, score: Int64) {
        var totals = scratch.totals
        var raw = scratch.raw
        scratch.totals = []
        scratch.raw = []
        defer {
            scratch.totals = totals
            scratch.raw = raw
        }
        totals.removeAll(keepingCapacity: true)
        totals.append(contentsOf: repeatElement(0, count: feasible.count))
        raw.removeAll(keepingCapacity: true)
        raw.append(contentsOf: repeatElement(0, count: feasible.count))

        let weights = profile.weights
        addResourceScores(pod, feasible: feasible, weights: weights, totals: &totals)
        addTaintScores(pod, feasible: feasible, weight: weights.taintToleration, totals: &totals, raw: &raw)
        if !pod.view.preferredNodeAffinity.isEmpty {
            addAffinityScores(pod, feasible: feasible, weight: weights.nodeAffinity, totals: &totals, raw: &raw)
        }
        if pod.spreads {
            addSpreadScores(pod, feasible: feasible, weight: weights.podTopologySpread, totals: &totals, raw: &raw)
        }

        var best = 0
        var bestTie = StableHash.mix(pod.hash, cache.entries[feasible[0]].nameHash)
        for index in 1..<feasible.count {
            if totals[index] < totals[best] { continue }
            let tie = StableHash.mix(pod.hash, cache.entries[feasible[index]].nameHash)
            if totals[index] > totals[best] || tie > bestTie {
                best = index
                bestTie = tie
            }
        }
        return (feasible[best], totals[best])
    }

    /// NodeResourcesFit (least allocated over cpu and memory, with non-zero defaults) and
    /// NodeResourcesBalancedAllocation (1 − the spread of the cpu and memory fractions, with plain requests).
    private func addResourceScores(
        _ pod: PreparedPod, feasible: [Int], weights: SchedulerProfile.Weights, totals: inout [Int64]
    ) {
        let podNonZeroCPU = pod.view.nonZeroRequests.milliCPU
        let podNonZeroMemory = pod.view.nonZeroRequests.memory
        let podCPU = pod.view.requests.milliCPU
        let podMemory = pod.view.requests.memory
        for (index, slot) in feasible.enumerated() {
            let allocatableCPU = cache.entries[slot].allocatable.milliCPU
            let allocatableMemory = cache.entries[slot].allocatable.memory
            var sum: Int64 = 0
            var count: Int64 = 0
            if allocatableCPU != 0 {
                sum += Self.leastRequested(cache.entries[slot].nonZeroMilliCPU &+ podNonZeroCPU, allocatableCPU)
                count += 1
            }
            if allocatableMemory != 0 {
                sum += Self.leastRequested(cache.entries[slot].nonZeroMemory &+ podNonZeroMemory, allocatableMemory)
                count += 1
            }
            var score = count == 0 ? 0 : weights.nodeResourcesFit * (sum / count)
            if pod.scoresBalance {
                var fractions: (Double, Double) = (0, 0)
                var present = 0
                if allocatableCPU != 0 {
                    let used = cache.entries[slot].requested.milliCPU &+ podCPU
                    fractions.0 = min(Double(used) / Double(allocatableCPU), 1)
                    present += 1
                }
                if allocatableMemory != 0 {
                    let used = cache.entries[slot].requested.memory &+ podMemory
                    let fraction = min(Double(used) / Double(allocatableMemory), 1)
                    if present == 0 { fractions.0 = fraction } else { fractions.1 = fraction }
                    present += 1
                }
                let deviation = present == 2 ? abs(fractions.0 - fractions.1) / 2 : 0
                score += weights.balancedAllocation * Int64((1 - deviation) * 100)
            }
            totals[index] += score
        }
    }

    /// `(capacity − requested) × 100 / capacity`, 0 when over capacity.
    static func leastRequested(_ requested: Int64, _ capacity: Int64) -> Int64 {
        if capacity == 0 || requested > capacity { return 0 }
        return (capacity - requested) * 100 / capacity
    }

    /// TaintToleration: PreferNoSchedule taints the pod does not tolerate, fewer is better (reversed normalize).
    private func addTaintScores(
        _ pod: PreparedPod, feasible: [Int], weight: Int64, totals: inout [Int64], raw: inout [Int64]
    ) {
        var maximum: Int64 = 0
        for (index, slot) in feasible.enumerated() {
            var count: Int64 = 0
            for taint in cache.entries[slot].preferTaints where !pod.preferTolerations.tolerate(taint) { count += 1 }
            raw[index] = count
            maximum = max(maximum, count)
        }
        for index in feasible.indices {
            let normalized = maximum == 0 ? 100 : 100 - raw[index] * 100 / maximum
            totals[index] += weight * normalized
        }
    }

    /// NodeAffinity: the summed weights of the preferred terms a node matches, scaled to the best node.
    private func addAffinityScores(
        _ pod: PreparedPod, feasible: [Int], weight: Int64, totals: inout [Int64], raw: inout [Int64]
    ) {
        var maximum: Int64 = 0
        for (index, slot) in feasible.enumerated() {
            var sum: Int64 = 0
            for term in pod.view.preferredNodeAffinity where term.weight != 0 {
                if term.preference.matches(labels: cache.entries[slot].labels, nodeName: cache.entries[slot].name) {
                    sum += term.weight
                }
            }
            raw[index] = sum
            maximum = max(maximum, sum)
        }
        guard maximum > 0 else { return }
        for index in feasible.indices { totals[index] += weight * (raw[index] * 100 / maximum) }
    }

    /// PodTopologySpread with the system default constraints (hostname maxSkew 3, zone maxSkew 5, soft), counting
    /// the pod's siblings by controller: fewer siblings on the node and in its zone scores higher.
    private mutating func addSpreadScores(
        _ pod: PreparedPod, feasible: [Int], weight: Int64, totals: inout [Int64], raw: inout [Int64]
    ) {
        let hostWeight = log(Double(feasible.count + 2))
        // A zone domain per distinct zone among the feasible nodes; nodes without the label form one more.
        var seen = scratch.zonesSeen
        scratch.zonesSeen = []
        defer { scratch.zonesSeen = seen }
        seen.removeAll(keepingCapacity: true)
        seen.append(contentsOf: repeatElement(false, count: cache.zoneIDs.count))
        var domains = 0
        var unzoned = false
        for slot in feasible {
            let zone = Int(cache.entries[slot].zone)
            if zone < 0 {
                unzoned = true
            } else if !seen[zone] {
                seen[zone] = true
                domains += 1
            }
        }
        let zoneWeight = log(Double(domains + (unzoned ? 1 : 0) + 2))
        // The controller's per-zone counts, read once per cycle.
        let zoneCounts = pod.owner >= 0 ? cache.ownerZoneCounts[Int(pod.owner)] : []

        var minimum = Int64.max
        var maximum: Int64 = 0
        for (index, slot) in feasible.enumerated() {
            // Nodes are their own hostname domain even without the label (simulated nodes often lack it).
            let siblings = pod.owner >= 0 ? cache.entries[slot].count(ofOwner: pod.owner) : 0
            var score = Double(siblings) * hostWeight + 2
            let zone = cache.entries[slot].zone
            if zone >= 0 {
                let zoneSiblings = Int(zone) < zoneCounts.count ? zoneCounts[Int(zone)] : 0
                score += Double(zoneSiblings) * zoneWeight + 4
            }
            // Go's math.Round; the score is positive, so adding a half and truncating is the same.
            let rounded = Int64(score + 0.5)
            raw[index] = rounded
            minimum = min(minimum, rounded)
            maximum = max(maximum, rounded)
        }
        for index in feasible.indices {
            let normalized = maximum == 0 ? 100 : 100 * (maximum + minimum - raw[index]) / maximum
            totals[index] += weight * normalized
        }
    }
}
