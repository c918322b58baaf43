/// What one scheduling cycle derives from a pod before looking at any node (upstream's PreFilter/PreScore state).
struct PreparedPod: Sendable {
    var view: PodView
    var hash: UInt64
    var checksAffinity: Bool
    var toleratesUnschedulable: Bool
    var checksResources: Bool
    var scalarRequests: [(name: String, amount: Int64)]
    /// Interned controller id in the cache, -1 when the pod has no controller or no sibling is cached yet.
    var owner: Int32
    var spreads: Bool
    var preferTolerations: [Toleration]
    /// Best-effort pods skip balanced-allocation scoring, as upstream does so they do not pile onto one node.
    var scoresBalance: Bool

    init(_ pod: PodView, in cache: SchedulerCache) {
        view = pod
        hash = StableHash.of(pod.uid.isEmpty ? pod.key : pod.uid)
        checksAffinity = !pod.nodeSelector.isEmpty || pod.requiredNodeAffinity != nil
        toleratesUnschedulable = pod.tolerations.tolerate(Taint(key: Taint.unschedulableKey, effect: .noSchedule))
        let requests = pod.requests
        checksResources = !requests.isZero
        scalarRequests = requests.scalars.filter { $0.value != 0 }.map { (name: $0.key, amount: $0.value) }
            .sorted { $0.name < $1.name }
        owner = pod.controller.flatMap { cache.ownerIDs[$0.uid] } ?? -1
        spreads = pod.controller != nil
        preferTolerations = pod.tolerations.filter { $0.effect == nil || $0.effect == .preferNoSchedule }
        scoresBalance = requests.milliCPU != 0 || requests.memory != 0
    }
}
