extension SchedulerCache {
    /// Adds the node, or updates it in place keeping the pods already on it.
    public mutating func upsert(node: NodeView) {
        let slot: Int
        if let existing = slotByName[node.name] {
            slot = existing
        } else {
            slot = allocateSlot(name: node.name)
        }
        let oldZone = entries[slot].zone
        var newZone: Int32 = -1
        if let zone = node.zone { newZone = internZone(zone) }
        if oldZone != newZone { moveZoneCounts(slot: slot, from: oldZone, to: newZone) }

        let taints = node.effectiveTaints
        entries[slot].view = node
        entries[slot].unschedulable = node.unschedulable
        entries[slot].labels = node.labels
        entries[slot].schedulingTaints = taints.filter(\.blocksScheduling)
        entries[slot].preferTaints = taints.filter { $0.effect == .preferNoSchedule }
        entries[slot].allocatable = node.allocatable
        entries[slot].allowedPodCount = node.allowedPodCount
        entries[slot].zone = newZone
        if entries[slot].activeIndex < 0 {
            entries[slot].activeIndex = active.count
            active.append(slot)
        }
    }

    /// Removes the node; pods still bound to it keep their place until they are removed too (as upstream keeps a
    /// node's pods when the node object goes first). Returns whether the cache held the node.
    @discardableResult
    public mutating func removeNode(named name: String) -> Bool {
        guard let slot = slotByName[name], entries[slot].view != nil else { return false }
        moveZoneCounts(slot: slot, from: entries[slot].zone, to: -1)
        entries[slot].zone = -1
        entries[slot].view = nil
        deactivate(slot: slot)
        releaseSlotIfUnused(slot)
        return true
    }

    /// The slot for `name`, creating a node-less one for pods bound to a node the cache has not seen.
    mutating func slot(forNodeNamed name: String) -> Int {
        if let slot = slotByName[name] { return slot }
        return allocateSlot(name: name)
    }

    private mutating func allocateSlot(name: String) -> Int {
        let entry = NodeEntry(name: name, view: nil, nameHash: StableHash.of(name), activeIndex: -1)
        let slot: Int
        if let free = freeSlots.popLast() {
            entries[free] = entry
            slot = free
        } else {
            entries.append(entry)
            slot = entries.count - 1
        }
        slotByName[name] = slot
        return slot
    }

    /// Frees a slot that holds neither a node nor pods.
    mutating func releaseSlotIfUnused(_ slot: Int) {
        guard entries[slot].view == nil, entries[slot].podCount == 0 else { return }
        slotByName[entries[slot].name] = nil
        entries[slot] = NodeEntry(name: "", view: nil, nameHash: 0, activeIndex: -1)
        freeSlots.append(slot)
    }

    private mutating func deactivate(slot: Int) {
        let index = entries[slot].activeIndex
        guard index >= 0 else { return }
        // Swap-remove keeps removal O(1); the order stays a pure function of the event sequence.
        let last = active.removeLast()
        if last != slot {
            active[index] = last
            entries[last].activeIndex = index
        }
        entries[slot].activeIndex = -1
    }

    private mutating func internZone(_ zone: String) -> Int32 {
        if let id = zoneIDs[zone] { return id }
        let id = Int32(zoneIDs.count)
        zoneIDs[zone] = id
        return id
    }

    /// Moves the node's per-controller counts from one zone to another (-1 is "no zone").
    private mutating func moveZoneCounts(slot: Int, from oldZone: Int32, to newZone: Int32) {
        for entry in entries[slot].owners {
            if oldZone >= 0 { adjustZoneCount(owner: entry.owner, zone: oldZone, by: -Int(entry.count)) }
            if newZone >= 0 { adjustZoneCount(owner: entry.owner, zone: newZone, by: Int(entry.count)) }
        }
    }

    mutating func adjustZoneCount(owner: Int32, zone: Int32, by delta: Int) {
        let (owner, zone) = (Int(owner), Int(zone))
        if ownerZoneCounts[owner].count <= zone {
            ownerZoneCounts[owner].append(contentsOf: repeatElement(0, count: zone + 1 - ownerZoneCounts[owner].count))
        }
        ownerZoneCounts[owner][zone] += Int32(delta)
    }
}
