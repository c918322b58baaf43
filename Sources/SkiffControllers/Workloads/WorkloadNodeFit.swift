import SkiffModel

/// Whether a pod spec fits a node by name, node selector, required node affinity and taints — the scheduling
/// predicates the DaemonSet controller evaluates itself (upstream `daemon.predicates`). Kept here rather than
/// shared with the scheduler so the workload reconciles stay independent of it.
public enum WorkloadNodeFit {
    /// `spec.nodeSelector` and `requiredDuringSchedulingIgnoredDuringExecution` node affinity both match.
    public static func matchesAffinity(podSpec: JSON, node: JSON) -> Bool {
        let labels = node["metadata"]["labels"]
        if let selector = podSpec["nodeSelector"].objectValue {
            for (key, value) in selector where labels[key] != value { return false }
        }
        let required = podSpec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        if required.isNull { return true }
        // Terms are ORed; a selector without terms matches nothing.
        let terms = required["nodeSelectorTerms"].arrayValue ?? []
        return terms.contains { termMatches($0, node: node) }
    }

    /// A node selector term: all `matchExpressions` (on labels) and `matchFields` (on `metadata.name`) hold; an
    /// empty term matches nothing.
    static func termMatches(_ term: JSON, node: JSON) -> Bool {
        let expressions = term["matchExpressions"].arrayValue ?? []
        let fields = term["matchFields"].arrayValue ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        let labels = node["metadata"]["labels"]
        for requirement in expressions
        where !requirementMatches(requirement, value: labels[requirement["key"].stringValue ?? ""].stringValue) {
            return false
        }
        for requirement in fields {
            // Only metadata.name is a supported node field, as upstream.
            guard requirement["key"] == "metadata.name" else { return false }
            if !requirementMatches(requirement, value: node.name) { return false }
        }
        return true
    }

    /// One `NodeSelectorRequirement` against a label value (nil when the label is absent).
    static func requirementMatches(_ requirement: JSON, value: String?) -> Bool {
        let values = requirement["values"].arrayValue?.compactMap(\.stringValue) ?? []
        switch requirement["operator"].stringValue {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let actual = Int64(value), values.count == 1, let bound = Int64(values[0]) else {
                return false
            }
            return requirement["operator"] == "Gt" ? actual > bound : actual < bound
        default: return false
        }
    }

    /// Whether `toleration` tolerates `taint` (upstream `Toleration.ToleratesTaint`).
    public static func tolerates(_ toleration: JSON, _ taint: JSON) -> Bool {
        if let effect = toleration["effect"].stringValue, !effect.isEmpty, effect != taint["effect"].stringValue {
            return false
        }
        if let key = toleration["key"].stringValue, !key.isEmpty, key != taint["key"].stringValue { return false }
        switch toleration["operator"].stringValue ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (toleration["value"].stringValue ?? "") == (taint["value"].stringValue ?? "")
        default: return false
        }
    }

    /// The first taint of `node` with one of `effects` that no toleration tolerates.
    public static func untoleratedTaint(node: JSON, tolerations: [JSON], effects: Set<String>) -> JSON? {
        (node["spec"]["taints"].arrayValue ?? []).first { taint in
            effects.contains(taint["effect"].stringValue ?? "") && !tolerations.contains { tolerates($0, taint) }
        }
    }
}
