/// Why a pod fits no node, worded as kube-scheduler words its `FailedScheduling` events and `PodScheduled`
/// condition messages.
public struct FitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The cluster has no nodes.
        case noNodesAvailable
        /// Nodes exist but none passed the filters.
        case unschedulable
    }

    /// The kind of failure.
    public var code: Code
    /// All nodes in the cache when the pod was tried.
    public var numAllNodes: Int
    /// A message from a pre-filter that rejected the pod outright, if one did.
    public var preFilterMessage: String?
    /// How many nodes failed for each reason (a node can give several, like `Insufficient cpu` and `… memory`).
    public var reasons: [String: Int]
    /// What preemption had to say (`preemption: …`); skiff does not preempt, and says so as upstream would when
    /// no victims help.
    public var postFilterMessage: String?
    /// The plugins that rejected some node; a pod is worth retrying when an event could change one's verdict.
    public var unschedulablePlugins: Set<SchedulerPlugin>

    /// upstream `ErrNoNodesAvailable`.
    public static let noNodesMessage = "no nodes available to schedule pods"

    /// A failure.
    public init(
        code: Code, numAllNodes: Int, preFilterMessage: String? = nil, reasons: [String: Int] = [:],
        postFilterMessage: String? = nil, unschedulablePlugins: Set<SchedulerPlugin> = []
    ) {
        self.code = code
        self.numAllNodes = numAllNodes
        self.preFilterMessage = preFilterMessage
        self.reasons = reasons
        self.postFilterMessage = postFilterMessage
        self.unschedulablePlugins = unschedulablePlugins
    }

    /// The message, e.g. `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node
    /// affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,
    /// 2 Preemption is not helpful for scheduling.`
    public var message: String {
        if code == .noNodesAvailable { return Self.noNodesMessage }
        var text = Self.summary(numAllNodes: numAllNodes, preFilterMessage: preFilterMessage, reasons: reasons)
        if let postFilterMessage { text += " " + postFilterMessage }
        return text
    }

    /// The message.
    public var description: String { message }

    /// `0/N nodes are available: <pre-filter message>.` or `…: <count reason>, ….`, the counts sorted as strings
    /// the way Go's `sort.Strings` sorts them (byte order, so "10 x" sorts before "2 y").
    static func summary(numAllNodes: Int, preFilterMessage: String?, reasons: [String: Int]) -> String {
        var text = "0/\(numAllNodes) nodes are available:"
        if let preFilterMessage {
            text += " \(preFilterMessage)."
            return text
        }
        let histogram = reasons.map { "\($0.value) \($0.key)" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if !histogram.isEmpty { text += " " + histogram.joined(separator: ", ") + "." }
        return text
    }
}
