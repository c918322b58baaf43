/// The scheduler plugins skiff implements, named as upstream names them (for logs and requeue decisions).
public enum SchedulerPlugin: String, Sendable, Hashable, CaseIterable {
    /// Keeps pods off cordoned nodes.
    case nodeUnschedulable = "NodeUnschedulable"
    /// Honours `spec.nodeName`.
    case nodeName = "NodeName"
    /// Taints and tolerations.
    case taintToleration = "TaintToleration"
    /// `nodeSelector` and node affinity.
    case nodeAffinity = "NodeAffinity"
    /// Host port conflicts.
    case nodePorts = "NodePorts"
    /// Requests against allocatable; least-allocated scoring.
    case nodeResourcesFit = "NodeResourcesFit"
    /// Balanced CPU/memory use scoring.
    case nodeResourcesBalancedAllocation = "NodeResourcesBalancedAllocation"
    /// Spreading a controller's replicas over nodes and zones.
    case podTopologySpread = "PodTopologySpread"
}

/// Tunables of the scheduling algorithm; the defaults are kube-scheduler's default profile.
public struct SchedulerProfile: Sendable, Hashable {
    /// Score weights per plugin, upstream's defaults.
    public struct Weights: Sendable, Hashable {
        /// TaintToleration (PreferNoSchedule taints).
        public var taintToleration: Int64 = 3
        /// NodeAffinity (preferred terms).
        public var nodeAffinity: Int64 = 2
        /// NodeResourcesFit (least allocated).
        public var nodeResourcesFit: Int64 = 1
        /// NodeResourcesBalancedAllocation.
        public var balancedAllocation: Int64 = 1
        /// PodTopologySpread with the system default constraints.
        public var podTopologySpread: Int64 = 2

        /// Upstream's weights.
        public init() {}
    }

    /// Percentage of nodes to find feasible before scoring stops the search; 0 is upstream's adaptive default
    /// (50% minus 1% per 125 nodes, at least 5%, and never fewer than 100 nodes).
    public var percentageOfNodesToScore: Int
    /// Score weights.
    public var weights: Weights

    /// A profile.
    public init(percentageOfNodesToScore: Int = 0, weights: Weights = Weights()) {
        self.percentageOfNodesToScore = percentageOfNodesToScore
        self.weights = weights
    }

    /// kube-scheduler's default profile.
    public static let `default` = SchedulerProfile()

    /// How many feasible nodes to look for among `nodeCount` (upstream's `numFeasibleNodesToFind`).
    public func feasibleNodesToFind(among nodeCount: Int) -> Int {
        let minimumNodes = 100
        if nodeCount < minimumNodes { return nodeCount }
        var percentage = percentageOfNodesToScore
        if percentage <= 0 { percentage = max(50 - nodeCount / 125, 5) }
        if percentage >= 100 { return nodeCount }
        return max(nodeCount * percentage / 100, minimumNodes)
    }
}
