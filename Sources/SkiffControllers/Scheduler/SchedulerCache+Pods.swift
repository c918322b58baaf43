extension SchedulerCache {
    /// Applies a pod from a watch event (added or modified): a bound pod is placed on (or moved to) its node and
    /// confirms an assumption; a finished pod is dropped; an unbound pod leaves an assumption of it in place, since
    /// an update written before the binding may arrive after the scheduler assumed the pod.
    public mutating func upsert(pod: PodView) {
        let key = pod.key
        guard let nodeName = pod.nodeName, !pod.isTerminal else {
            if let existing = pods[key], pod.isTerminal || !existing.assumed { remove(key: key, entry: existing) }
            return
        }
        place(pod, key: key, on: nodeName, assumed: false)
    }

    /// Removes a pod that was deleted. Returns whether the cache held it.
    @discardableResult
    public mutating func removePod(key: String) -> Bool {
        guard let entry = pods[key] else { return false }
        remove(key: key, entry: entry)
        return true
    }

    /// Removes a pod that was deleted. Returns whether the cache held it.
    @discardableResult
    public mutating func removePod(_ pod: PodView) -> Bool { removePod(key: pod.key) }

    /// Records the scheduler's own decision before the binding is confirmed, so the next pods see the node's
    /// resources taken. A pod the cache already holds as bound stays where its watch event put it.
    public mutating func assume(pod: PodView, on nodeName: String) {
        let key = pod.key
        if let existing = pods[key], !existing.assumed { return }
        place(pod, key: key, on: nodeName, assumed: true)
    }

    /// Drops an assumption whose binding failed. Returns whether there was one; a confirmed pod is kept.
    @discardableResult
    public mutating func forget(pod: PodView) -> Bool {
        let key = pod.key
        guard let entry = pods[key], entry.assumed else { return false }
        remove(key: key, entry: entry)
        return true
    }

    private mutating func place(_ pod: PodView, key: String, on nodeName: String, assumed: Bool) {
        if let existing = pods[key] { remove(key: key, entry: existing) }
        let slot = slot(forNodeNamed: nodeName)
        // Terminating pods still hold resources but no longer count as replicas to spread.
        var owner: Int32 = -1
        if let controller = pod.controller, !pod.isTerminating { owner = retainOwner(controller.uid) }
        let entry = PodEntry(
            slot: slot, requests: pod.requests, nonZeroMilliCPU: pod.nonZeroRequests.milliCPU,
            nonZeroMemory: pod.nonZeroRequests.memory, hostPorts: pod.hostPorts, owner: owner, assumed: assumed)
        pods[key] = entry
        add(entry)
    }

    private mutating func add(_ pod: PodEntry) {
        let slot = pod.slot
        entries[slot].requested.add(pod.requests)
        entries[slot].nonZeroMilliCPU &+= pod.nonZeroMilliCPU
        entries[slot].nonZeroMemory &+= pod.nonZeroMemory
        entries[slot].podCount += 1
        for port in pod.hostPorts { entries[slot].usedPorts[port, default: 0] += 1 }
        guard pod.owner >= 0 else { return }
        if let index = entries[slot].owners.firstIndex(where: { $0.owner == pod.owner }) {
            entries[slot].owners[index].count += 1
        } else {
            entries[slot].owners.append(OwnerCount(owner: pod.owner, count: 1))
        }
        let zone = entries[slot].zone
        if zone >= 0 { adjustZoneCount(owner: pod.owner, zone: zone, by: 1) }
    }

    private mutating func remove(key: String, entry pod: PodEntry) {
        pods[key] = nil
        let slot = pod.slot
        entries[slot].requested.subtract(pod.requests)
        entries[slot].nonZeroMilliCPU &-= pod.nonZeroMilliCPU
        entries[slot].nonZeroMemory &-= pod.nonZeroMemory
        entries[slot].podCount -= 1
        for port in pod.hostPorts {
            let left = entries[slot].usedPorts[port, default: 0] - 1
            entries[slot].usedPorts[port] = left > 0 ? left : nil
        }
        if pod.owner >= 0 {
            if let index = entries[slot].owners.firstIndex(where: { $0.owner == pod.owner }) {
                entries[slot].owners[index].count -= 1
                if entries[slot].owners[index].count == 0 { entries[slot].owners.remove(at: index) }
            }
            let zone = entries[slot].zone
            if zone >= 0 { adjustZoneCount(owner: pod.owner, zone: zone, by: -1) }
            releaseOwner(pod.owner)
        }
        releaseSlotIfUnused(slot)
    }

    /// Interns a controller uid, counting the pods that refer to it so the id is recycled when the last one goes.
    private mutating func retainOwner(_ uid: String) -> Int32 {
        if let id = ownerIDs[uid] {
            ownerReferences[Int(id)] += 1
            return id
        }
        let id: Int32
        if let free = freeOwnerIDs.popLast() {
            id = free
            ownerReferences[Int(id)] = 1
            ownerUIDs[Int(id)] = uid
            ownerZoneCounts[Int(id)] = []
        } else {
            id = Int32(ownerReferences.count)
            ownerReferences.append(1)
            ownerUIDs.append(uid)
            ownerZoneCounts.append([])
        }
        ownerIDs[uid] = id
        return id
    }

    private mutating func releaseOwner(_ id: Int32) {
        ownerReferences[Int(id)] -= 1
        guard ownerReferences[Int(id)] == 0 else { return }
        ownerIDs[ownerUIDs[Int(id)]] = nil
        ownerUIDs[Int(id)] = ""
        freeOwnerIDs.append(id)
    }
}
