/// Where a pod should go, with what upstream reports alongside.
public struct ScheduleResult: Sendable, Hashable {
    /// The chosen node.
    public var nodeName: String
    /// The chosen node's weighted score (0 when it was the only feasible node and scoring was skipped).
    public var score: Int64
    /// Nodes the filters looked at.
    public var evaluatedNodes: Int
    /// Nodes that passed the filters.
    public var feasibleNodes: Int
}

/// The scheduling algorithm of kube-scheduler's default profile over a ``SchedulerCache``: filter nodes (stopping
/// once enough are feasible), score the feasible ones, pick the best, break ties by a hash of pod and node.
///
/// Pure and synchronous; the runtime owns one (in a `Mutex` or an actor), keeps ``cache`` current from watch events
/// and binds what ``schedule(_:)`` picks.
public struct PodScheduler: Sendable {
    /// The cluster as the scheduler sees it.
    public var cache: SchedulerCache
    /// Tunables.
    public var profile: SchedulerProfile
    /// Where the next cycle starts walking nodes, so every node gets its turn when only some are scored.
    public private(set) var nextStartNodeIndex = 0
    /// Buffers reused across cycles so a cycle allocates nothing on the happy path.
    var scratch = ScoringScratch()

    /// A scheduler over `cache`.
    public init(cache: SchedulerCache = SchedulerCache(), profile: SchedulerProfile = .default) {
        self.cache = cache
        self.profile = profile
    }

    /// Picks a node for `pod`, or throws why none fits. Does not change the cache; see ``scheduleAndAssume(_:)``.
    public mutating func schedule(_ pod: PodView) throws(FitError) -> ScheduleResult {
        let allCount = cache.active.count
        guard allCount > 0 else { throw FitError(code: .noNodesAvailable, numAllNodes: 0) }
        let prepared = PreparedPod(pod, in: cache)

        // NodeAffinity's pre-filter: terms that all pin `metadata.name` limit the walk to those nodes.
        var candidates: [Int]?
        if let restriction = requiredNodeNames(of: pod) {
            guard !restriction.isEmpty else {
                throw FitError(
                    code: .unschedulable, numAllNodes: allCount, preFilterMessage: "pod affinity terms conflict",
                    postFilterMessage: Self.preemptionMessage(pod: pod, numAllNodes: allCount, candidates: 0),
                    unschedulablePlugins: [.nodeAffinity])
            }
            candidates = restriction.sorted().compactMap { name in
                cache.slotByName[name].flatMap { cache.entries[$0].activeIndex >= 0 ? $0 : nil }
            }
        }

        var feasible = scratch.takeFeasible()
        defer { scratch.feasible = feasible }
        var diagnosis = FilterDiagnosis()
        let walkCount = candidates?.count ?? allCount
        let wanted = profile.feasibleNodesToFind(among: walkCount)
        var processed = 0
        if walkCount > 0 {
            let start = nextStartNodeIndex % walkCount
            while processed < walkCount && feasible.count < wanted {
                var index = start + processed
                if index >= walkCount { index -= walkCount }
                let slot = candidates.map { $0[index] } ?? cache.active[index]
                processed += 1
                let verdict = cache.verdict(for: prepared, slot: slot)
                if case .fits = verdict {
                    feasible.append(slot)
                } else {
                    diagnosis.record(verdict)
                }
            }
        }
        nextStartNodeIndex = (nextStartNodeIndex + processed) % allCount

        guard !feasible.isEmpty else {
            var reasons = diagnosis.reasons
            var plugins = diagnosis.plugins
            let absent = allCount - diagnosis.failedNodes
            if absent > 0 {
                // Nodes the pre-filter ruled out count as rejected by it, worded as upstream words that.
                reasons["node(s) didn't satisfy plugin(s) [NodeAffinity]", default: 0] += absent
                plugins.insert(.nodeAffinity)
            }
            throw FitError(
                code: .unschedulable, numAllNodes: allCount, reasons: reasons,
                postFilterMessage: Self.preemptionMessage(
                    pod: pod, numAllNodes: allCount, candidates: diagnosis.preemptionCandidates),
                unschedulablePlugins: plugins)
        }
        let evaluated = feasible.count + diagnosis.failedNodes
        if feasible.count == 1 {
            return ScheduleResult(
                nodeName: cache.entries[feasible[0]].name, score: 0, evaluatedNodes: evaluated, feasibleNodes: 1)
        }
        let (slot, score) = selectHost(prepared, feasible: feasible)
        return ScheduleResult(
            nodeName: cache.entries[slot].name, score: score, evaluatedNodes: evaluated,
            feasibleNodes: feasible.count)
    }

    /// Schedules `pod` and, when a node fits, assumes it there so the next cycle sees the node's resources taken.
    public mutating func scheduleAndAssume(_ pod: PodView) throws(FitError) -> ScheduleResult {
        let result = try schedule(pod)
        cache.assume(pod: pod, on: result.nodeName)
        return result
    }

    /// Why the node named `nodeName` rejects `pod` (upstream's reason strings), `[]` when it fits, nil when the
    /// cache holds no such node. For diagnostics and tests; scheduling itself never formats these.
    public func filterReasons(for pod: PodView, onNode nodeName: String) -> [String]? {
        guard let slot = cache.slotByName[nodeName], cache.entries[slot].view != nil else { return nil }
        return cache.verdict(for: PreparedPod(pod, in: cache), slot: slot).reasons
    }

    /// The names NodeAffinity's pre-filter limits the pod to: nil when some term does not pin `metadata.name`
    /// (terms are ORed), an empty set when the pinned names contradict each other.
    func requiredNodeNames(of pod: PodView) -> Set<String>? {
        guard let terms = pod.requiredNodeAffinity?.terms, !terms.isEmpty else { return nil }
        var names = Set<String>()
        for term in terms {
            guard let termNames = term.requiredNodeNames else { return nil }
            names.formUnion(termNames)
        }
        return names
    }

    /// What upstream's DefaultPreemption adds. skiff does not preempt: nodes where eviction might help are
    /// reported as having no victims (exact when all pods share one priority, the common case).
    static func preemptionMessage(pod: PodView, numAllNodes: Int, candidates: Int) -> String {
        if !pod.mayPreempt { return "preemption: not eligible due to preemptionPolicy=Never." }
        var reasons: [String: Int] = [:]
        if candidates > 0 { reasons["No preemption victims found for incoming pod"] = candidates }
        if numAllNodes - candidates > 0 {
            reasons["Preemption is not helpful for scheduling"] = numAllNodes - candidates
        }
        return "preemption: " + FitError.summary(numAllNodes: numAllNodes, preFilterMessage: nil, reasons: reasons)
    }
}
