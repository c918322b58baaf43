extension SchedulerCache {
    /// Runs the filter plugins in upstream's order (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
    /// NodePorts, NodeResourcesFit) against the node in `slot`, stopping at the first that rejects it.
    func verdict(for pod: PreparedPod, slot: Int) -> FilterVerdict {
        if entries[slot].unschedulable && !pod.toleratesUnschedulable { return .unschedulable }
        if let wanted = pod.view.nodeName, wanted != entries[slot].name { return .nodeName }
        if !entries[slot].schedulingTaints.isEmpty,
            let taint = pod.view.tolerations.firstUntoleratedSchedulingTaint(in: entries[slot].schedulingTaints)
        {
            return .taint(key: taint.key, value: taint.value)
        }
        if pod.checksAffinity,
            !pod.view.matchesNodeSelectorAndAffinity(labels: entries[slot].labels, nodeName: entries[slot].name)
        {
            return .nodeAffinity
        }
        if !pod.view.hostPorts.isEmpty && !entries[slot].usedPorts.isEmpty && hasPortConflict(pod.view, slot: slot) {
            return .nodePorts
        }
        return fitsResources(pod, slot: slot)
    }

    private func hasPortConflict(_ pod: PodView, slot: Int) -> Bool {
        for wanted in pod.hostPorts {
            for used in entries[slot].usedPorts.keys where wanted.conflicts(with: used) { return true }
        }
        return false
    }

    /// NodeResourcesFit: the pod count, then each requested resource against allocatable minus requested.
    private func fitsResources(_ pod: PreparedPod, slot: Int) -> FilterVerdict {
        var insufficient = InsufficientResources()
        if Int64(entries[slot].podCount) + 1 > entries[slot].allowedPodCount { insufficient.tooManyPods = true }
        if pod.checksResources {
            // Fields are read one by one: copying the amounts would retain their scalar dictionaries per node.
            let wanted = pod.view.requests
            if Self.exceeds(
                wanted.milliCPU, entries[slot].allocatable.milliCPU, entries[slot].requested.milliCPU,
                &insufficient.unresolvable)
            {
                insufficient.cpu = true
            }
            if Self.exceeds(
                wanted.memory, entries[slot].allocatable.memory, entries[slot].requested.memory,
                &insufficient.unresolvable)
            {
                insufficient.memory = true
            }
            if Self.exceeds(
                wanted.ephemeralStorage, entries[slot].allocatable.ephemeralStorage,
                entries[slot].requested.ephemeralStorage, &insufficient.unresolvable)
            {
                insufficient.ephemeralStorage = true
            }
            for (name, amount) in pod.scalarRequests {
                let allocatable = entries[slot].allocatable.scalars[name] ?? 0
                let requested = entries[slot].requested.scalars[name] ?? 0
                if Self.exceeds(amount, allocatable, requested, &insufficient.unresolvable) {
                    insufficient.scalars.append(name)
                }
            }
        }
        return insufficient.isEmpty ? .fits : .resources(insufficient)
    }

    /// Whether a request does not fit what is left; a request beyond the whole allocatable is also unresolvable
    /// (no eviction can make room), as upstream marks it.
    private static func exceeds(
        _ request: Int64, _ allocatable: Int64, _ requested: Int64, _ unresolvable: inout Bool
    ) -> Bool {
        guard request > 0, request > allocatable &- requested else { return false }
        if request > allocatable { unresolvable = true }
        return true
    }
}
