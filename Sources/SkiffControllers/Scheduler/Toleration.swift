import SkiffModel

/// A pod toleration (`spec.tolerations[]`), matched against taints as upstream's `ToleratesTaint` does.
public struct Toleration: Sendable, Hashable {
    /// How the value is compared.
    public enum Operator: String, Sendable, Hashable {
        /// The values must be equal (also what an empty operator means).
        case equal = "Equal"
        /// Any value matches.
        case exists = "Exists"
    }

    /// The taint key; empty with `exists` matches every key.
    public var key: String
    /// The operator; nil when the pod spells one the API does not know (such a toleration tolerates nothing).
    public var `operator`: Operator?
    /// The value compared with `equal`.
    public var value: String
    /// The effect matched; nil matches every effect.
    public var effect: Taint.Effect?
    /// How long a NoExecute taint is tolerated before eviction; nil is forever.
    public var tolerationSeconds: Int64?

    /// A toleration.
    public init(
        key: String = "", operator: Operator? = .equal, value: String = "", effect: Taint.Effect? = nil,
        tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// A toleration from its JSON form.
    public init(json: JSON) {
        let operatorText = json["operator"].stringValue ?? ""
        let effectText = json["effect"].stringValue ?? ""
        self.init(
            key: json["key"].stringValue ?? "",
            operator: operatorText.isEmpty ? .equal : Operator(rawValue: operatorText),
            value: json["value"].stringValue ?? "",
            effect: effectText.isEmpty ? nil : Taint.Effect(rawValue: effectText),
            tolerationSeconds: json["tolerationSeconds"].int64Value)
    }

    /// Whether this toleration tolerates `taint`.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, effect != taint.effect { return false }
        if !key.isEmpty && key != taint.key { return false }
        switch self.operator {
        case .equal: return value == taint.value
        case .exists: return true
        case nil: return false
        }
    }
}

extension Array where Element == Toleration {
    /// Whether any toleration tolerates `taint`.
    public func tolerate(_ taint: Taint) -> Bool {
        contains { $0.tolerates(taint) }
    }

    /// The first taint in `taints` that blocks scheduling (NoSchedule/NoExecute) and is not tolerated, as upstream's
    /// `FindMatchingUntoleratedTaint` reports it.
    public func firstUntoleratedSchedulingTaint(in taints: [Taint]) -> Taint? {
        taints.first { $0.blocksScheduling && !tolerate($0) }
    }
}
