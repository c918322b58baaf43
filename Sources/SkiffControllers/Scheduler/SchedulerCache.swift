/// The scheduler's picture of the cluster: every node with the pods bound (or assumed) to it, kept as per-node
/// aggregates so a scheduling decision never scans pods.
///
/// A value type: the runtime owns one, feeds it watch events (`upsert(node:)`, `upsert(pod:)`, `remove…`) and
/// records its own decisions with `assume(pod:on:)` before the binding is confirmed, `forget(pod:)` if the binding
/// fails. Every update costs O(1) amortized (node removal O(1) too); mutate a uniquely held value to stay in place.
public struct SchedulerCache: Sendable {
    /// Pods of one controller on one node.
    struct OwnerCount: Sendable {
        var owner: Int32
        var count: Int32
    }

    /// One node slot: the node (nil while only pods bound to an unknown or deleted node keep it) and aggregates.
    struct NodeEntry: Sendable {
        var name: String
        var view: NodeView?
        var nameHash: UInt64
        /// Position in `active`, or -1 when the slot has no node.
        var activeIndex: Int
        // Derived from the view once, so filters read plain fields.
        var unschedulable = false
        var labels: [String: String] = [:]
        var schedulingTaints: [Taint] = []
        var preferTaints: [Taint] = []
        var allocatable = ResourceAmounts()
        var allowedPodCount: Int64 = 0
        var zone: Int32 = -1
        // Aggregates over the pods on the node.
        var requested = ResourceAmounts()
        var nonZeroMilliCPU: Int64 = 0
        var nonZeroMemory: Int64 = 0
        var podCount = 0
        var usedPorts: [HostPort: Int] = [:]
        /// Non-terminating pods per controller; nodes hold few pods, so a short array beats a dictionary.
        var owners: [OwnerCount] = []

        func count(ofOwner owner: Int32) -> Int {
            for entry in owners where entry.owner == owner { return Int(entry.count) }
            return 0
        }
    }

    /// What one pod contributes to its node.
    struct PodEntry: Sendable {
        var slot: Int
        var requests: ResourceAmounts
        var nonZeroMilliCPU: Int64
        var nonZeroMemory: Int64
        var hostPorts: [HostPort]
        /// Interned controller uid when the pod counts for spreading, else -1.
        var owner: Int32
        var assumed: Bool
    }

    var entries: [NodeEntry] = []
    var freeSlots: [Int] = []
    var slotByName: [String: Int] = [:]
    /// Slots holding a node, in the order scheduling walks them.
    var active: [Int] = []
    var pods: [String: PodEntry] = [:]
    var ownerIDs: [String: Int32] = [:]
    /// Per interned controller id: how many cached pods refer to it, and its uid.
    var ownerReferences: [Int] = []
    var ownerUIDs: [String] = []
    var freeOwnerIDs: [Int32] = []
    var zoneIDs: [String: Int32] = [:]
    /// Per interned controller id, its non-terminating pods per interned zone id; arrays because a cycle reads
    /// one count per scored node and hashing a key there dominated the profile.
    var ownerZoneCounts: [[Int32]] = []

    /// The controller's pods in the zone.
    func zoneCount(owner: Int32, zone: Int32) -> Int {
        guard owner >= 0, zone >= 0, Int(owner) < ownerZoneCounts.count else { return 0 }
        let counts = ownerZoneCounts[Int(owner)]
        return Int(zone) < counts.count ? Int(counts[Int(zone)]) : 0
    }

    /// An empty cache.
    public init() {}

    /// How many nodes the cache holds (the `N` of "0/N nodes are available").
    public var nodeCount: Int { active.count }

    /// How many pods are bound or assumed.
    public var podCount: Int { pods.count }

    /// The names of the nodes, in scheduling order.
    public var nodeNames: [String] { active.map { entries[$0].name } }

    /// The aggregates of the node named `name`, if the cache holds that node.
    public func nodeInfo(named name: String) -> NodeInfo? {
        guard let slot = slotByName[name], let view = entries[slot].view else { return nil }
        let entry = entries[slot]
        return NodeInfo(
            node: view, requested: entry.requested,
            nonZeroRequested: ResourceAmounts(milliCPU: entry.nonZeroMilliCPU, memory: entry.nonZeroMemory),
            podCount: entry.podCount, usedPorts: Set(entry.usedPorts.keys))
    }

    /// How many non-terminating pods of the controller with `uid` sit on the node named `nodeName`.
    public func podCount(ofController uid: String, onNode nodeName: String) -> Int {
        guard let owner = ownerIDs[uid], let slot = slotByName[nodeName] else { return 0 }
        return entries[slot].count(ofOwner: owner)
    }

    /// Whether the pod filed under `key` (``PodView/key``) is assumed and not yet confirmed by a watch event.
    public func isAssumed(podKey key: String) -> Bool { pods[key]?.assumed ?? false }

    /// The node the pod filed under `key` is bound or assumed to, if the cache holds it.
    public func nodeName(ofPod key: String) -> String? {
        pods[key].map { entries[$0.slot].name }
    }
}

/// A read-only summary of one node in the cache.
public struct NodeInfo: Sendable {
    /// The node.
    public var node: NodeView
    /// The sum of the requests of the pods on it (what resource fit subtracts from allocatable).
    public var requested: ResourceAmounts
    /// CPU and memory with scoring's non-zero defaults.
    public var nonZeroRequested: ResourceAmounts
    /// Pods bound or assumed to it.
    public var podCount: Int
    /// Host ports in use.
    public var usedPorts: Set<HostPort>
}
