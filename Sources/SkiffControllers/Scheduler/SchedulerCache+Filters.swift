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
            let wanted = pod.view.requests
            func check(_ request: Int64, allocatable: Int64, requested: Int64) -> Bool {
                guard request > 0, request > allocatable &- requested else { return true }
                if request > allocatable { insufficient.unresolvable = true }
                return false
            }
            let allocatable = entries[slot].allocatable
            let requested = entries[slot].requested
            insufficient.cpu = !check(
                wanted.milliCPU, allocatable: allocatable.milliCPU, requested: requested.milliCPU)
            insufficient.memory = !check(wanted.memory, allocatable: allocatable.memory, requested: requested.memory)
            insufficient.ephemeralStorage = !check(
                wanted.ephemeralStorage, allocatable: allocatable.ephemeralStorage,
                requested: requested.ephemeralStorage)
            for (name, amount) in pod.scalarRequests {
                let fits = check(
                    amount, allocatable: allocatable.scalars[name] ?? 0, requested: requested.scalars[name] ?? 0)
                if !fits { insufficient.scalars.append(name) }
            }
        }
        return insufficient.isEmpty ? .fits : .resources(insufficient)
    }
}
