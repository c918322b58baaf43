/// One node's answer to the filters for one pod: the first plugin that rejects it, as upstream stops at the first.
enum FilterVerdict: Sendable {
    case fits
    case unschedulable
    case nodeName
    case taint(key: String, value: String)
    case nodeAffinity
    case nodePorts
    case resources(InsufficientResources)

    /// upstream's reason strings.
    static let unschedulableReason = "node(s) were unschedulable"
    static let nodeNameReason = "node(s) didn't match the requested node name"
    static let nodeAffinityReason = "node(s) didn't match Pod's node affinity/selector"
    static let nodePortsReason = "node(s) didn't have free ports for the requested pod ports"

    static func taintReason(key: String, value: String) -> String {
        "node(s) had untolerated taint {\(key): \(value)}"
    }

    /// The plugin that rejected the node.
    var plugin: SchedulerPlugin? {
        switch self {
        case .fits: return nil
        case .unschedulable: return .nodeUnschedulable
        case .nodeName: return .nodeName
        case .taint: return .taintToleration
        case .nodeAffinity: return .nodeAffinity
        case .nodePorts: return .nodePorts
        case .resources: return .nodeResourcesFit
        }
    }

    /// The reason strings, as upstream words them.
    var reasons: [String] {
        switch self {
        case .fits: return []
        case .unschedulable: return [Self.unschedulableReason]
        case .nodeName: return [Self.nodeNameReason]
        case .taint(let key, let value): return [Self.taintReason(key: key, value: value)]
        case .nodeAffinity: return [Self.nodeAffinityReason]
        case .nodePorts: return [Self.nodePortsReason]
        case .resources(let insufficient): return insufficient.reasons
        }
    }

    /// Whether evicting lower-priority pods could make the node fit (upstream's `Unschedulable` as opposed to
    /// `UnschedulableAndUnresolvable`).
    var preemptionMightHelp: Bool {
        switch self {
        case .nodePorts: return true
        case .resources(let insufficient): return !insufficient.unresolvable
        default: return false
        }
    }
}

/// The resources a node lacks for a pod, in the order upstream checks them.
struct InsufficientResources: Sendable {
    var tooManyPods = false
    var cpu = false
    var memory = false
    var ephemeralStorage = false
    var scalars: [String] = []
    /// The pod asks for more than the node has at all, so no eviction helps.
    var unresolvable = false

    var isEmpty: Bool { !tooManyPods && !cpu && !memory && !ephemeralStorage && scalars.isEmpty }

    var reasons: [String] {
        var reasons: [String] = []
        if tooManyPods { reasons.append("Too many pods") }
        if cpu { reasons.append("Insufficient cpu") }
        if memory { reasons.append("Insufficient memory") }
        if ephemeralStorage { reasons.append("Insufficient ephemeral-storage") }
        for name in scalars { reasons.append("Insufficient \(name)") }
        return reasons
    }
}

/// Counts of filter verdicts over the nodes one cycle evaluated, kept as counters so rejecting thousands of
/// nodes formats no strings until a message is needed.
struct FilterDiagnosis: Sendable {
    struct TaintKeyValue: Hashable, Sendable {
        var key: String
        var value: String
    }

    var failedNodes = 0
    var unschedulable = 0
    var nodeName = 0
    var nodeAffinity = 0
    var nodePorts = 0
    var taints: [TaintKeyValue: Int] = [:]
    var tooManyPods = 0
    var cpu = 0
    var memory = 0
    var ephemeralStorage = 0
    var scalars: [String: Int] = [:]
    /// Nodes whose rejection preemption might address.
    var preemptionCandidates = 0
    var plugins: Set<SchedulerPlugin> = []

    mutating func record(_ verdict: FilterVerdict) {
        failedNodes += 1
        if verdict.preemptionMightHelp { preemptionCandidates += 1 }
        switch verdict {
        case .fits:
            failedNodes -= 1
            return
        case .unschedulable: unschedulable += 1
        case .nodeName: nodeName += 1
        case .taint(let key, let value): taints[TaintKeyValue(key: key, value: value), default: 0] += 1
        case .nodeAffinity: nodeAffinity += 1
        case .nodePorts: nodePorts += 1
        case .resources(let insufficient):
            if insufficient.tooManyPods { tooManyPods += 1 }
            if insufficient.cpu { cpu += 1 }
            if insufficient.memory { memory += 1 }
            if insufficient.ephemeralStorage { ephemeralStorage += 1 }
            for name in insufficient.scalars { scalars[name, default: 0] += 1 }
        }
        if let plugin = verdict.plugin, !plugins.contains(plugin) { plugins.insert(plugin) }
    }

    /// Node counts by reason string.
    var reasons: [String: Int] {
        var reasons: [String: Int] = [:]
        func add(_ reason: String, _ count: Int) {
            if count > 0 { reasons[reason, default: 0] += count }
        }
        add(FilterVerdict.unschedulableReason, unschedulable)
        add(FilterVerdict.nodeNameReason, nodeName)
        add(FilterVerdict.nodeAffinityReason, nodeAffinity)
        add(FilterVerdict.nodePortsReason, nodePorts)
        for (taint, count) in taints { add(FilterVerdict.taintReason(key: taint.key, value: taint.value), count) }
        add("Too many pods", tooManyPods)
        add("Insufficient cpu", cpu)
        add("Insufficient memory", memory)
        add("Insufficient ephemeral-storage", ephemeralStorage)
        for (name, count) in scalars { add("Insufficient \(name)", count) }
        return reasons
    }
}
