import SkiffModel

/// A node taint (`spec.taints[]`): pods that do not tolerate it are kept off (or scored down on) the node.
public struct Taint: Sendable, Hashable, CustomStringConvertible {
    /// What a taint does to pods that do not tolerate it; unknown effects are kept as written.
    public struct Effect: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The effect as the API spells it.
        public var rawValue: String
        /// An effect spelled `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// New pods are not scheduled onto the node.
        public static let noSchedule = Effect(rawValue: "NoSchedule")
        /// The scheduler avoids the node when it can.
        public static let preferNoSchedule = Effect(rawValue: "PreferNoSchedule")
        /// New pods are not scheduled and running ones are evicted.
        public static let noExecute = Effect(rawValue: "NoExecute")
        /// The raw value.
        public var description: String { rawValue }
    }

    /// The taint key.
    public var key: String
    /// The taint value (often empty).
    public var value: String
    /// The effect.
    public var effect: Effect
    /// `timeAdded` as written (RFC 3339), kept for eviction timing.
    public var timeAdded: String?

    /// A taint.
    public init(key: String, value: String = "", effect: Effect, timeAdded: String? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }

    /// A taint from its JSON form; nil when it has no key.
    public init?(json: JSON) {
        guard let key = json["key"].stringValue, !key.isEmpty else { return nil }
        self.init(
            key: key, value: json["value"].stringValue ?? "",
            effect: Effect(rawValue: json["effect"].stringValue ?? ""),
            timeAdded: json["timeAdded"].stringValue)
    }

    /// Whether the effect keeps new pods off the node (NoSchedule or NoExecute).
    public var blocksScheduling: Bool { effect == .noSchedule || effect == .noExecute }

    /// `key=value:effect`, as kubectl prints taints.
    public var description: String { value.isEmpty ? "\(key):\(effect)" : "\(key)=\(value):\(effect)" }
}

extension Taint {
    /// `node.kubernetes.io/not-ready`: the node's Ready condition is False.
    public static let notReadyKey = "node.kubernetes.io/not-ready"
    /// `node.kubernetes.io/unreachable`: the node's Ready condition is Unknown.
    public static let unreachableKey = "node.kubernetes.io/unreachable"
    /// `node.kubernetes.io/unschedulable`: the node is cordoned.
    public static let unschedulableKey = "node.kubernetes.io/unschedulable"
}
