import SkiffModel

/// The fields of a Node the scheduler reads, parsed once per watch event.
public struct NodeView: Sendable {
    /// The node's `Ready` condition as the scheduler sees it.
    public enum Readiness: String, Sendable, Hashable {
        /// `Ready=True`.
        case ready
        /// `Ready=False`, or no Ready condition yet (a kubelet registers its node not ready).
        case notReady
        /// `Ready=Unknown`: the node stopped reporting.
        case unknown
    }

    /// `metadata.name`.
    public var name: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `spec.taints`.
    public var taints: [Taint]
    /// `spec.unschedulable` (cordoned).
    public var unschedulable: Bool
    /// The Ready condition.
    public var readiness: Readiness
    /// `status.allocatable` cpu, memory, ephemeral storage and scalar resources (falling back to `capacity` per
    /// resource when allocatable does not list it).
    public var allocatable: ResourceAmounts
    /// `status.allocatable.pods`: how many pods the node takes.
    public var allowedPodCount: Int64

    /// The label holding a node's zone.
    public static let zoneLabel = "topology.kubernetes.io/zone"

    /// A node view built from parts (tests and simulated nodes).
    public init(
        name: String, labels: [String: String] = [:], taints: [Taint] = [], unschedulable: Bool = false,
        readiness: Readiness = .ready, allocatable: ResourceAmounts, allowedPodCount: Int64 = 110
    ) {
        self.name = name
        self.labels = labels
        self.taints = taints
        self.unschedulable = unschedulable
        self.readiness = readiness
        self.allocatable = allocatable
        self.allowedPodCount = allowedPodCount
    }

    /// Reads the fields from a Node object; missing or malformed fields take their API defaults.
    public init(_ node: JSON) {
        name = node["metadata"]["name"].stringValue ?? ""
        labels = node.labels
        taints = node["spec"]["taints"].arrayValue?.compactMap(Taint.init(json:)) ?? []
        unschedulable = node["spec"]["unschedulable"].boolValue ?? false
        var readiness = Readiness.notReady
        for condition in node["status"]["conditions"].arrayValue ?? [] where condition["type"].stringValue == "Ready" {
            switch condition["status"].stringValue {
            case "True": readiness = .ready
            case "Unknown": readiness = .unknown
            default: readiness = .notReady
            }
        }
        self.readiness = readiness
        // Kubelets always publish allocatable; simulated or hand-written nodes sometimes only capacity.
        var list = node["status"]["allocatable"].objectValue ?? JSONObject()
        if let capacity = node["status"]["capacity"].objectValue {
            for (key, value) in capacity where !list.contains(key) { list.updateValue(value, forKey: key) }
        }
        allocatable = ResourceAmounts(resourceList: .object(list))
        allowedPodCount = list["pods"].flatMap { try? Quantity(json: $0).value } ?? 0
    }

    /// The zone label's value, if any.
    public var zone: String? { labels[Self.zoneLabel] }

    /// The taints filters see: `spec.taints` plus the NoSchedule taint the node lifecycle controller puts on a node
    /// that is not Ready (`not-ready`) or not reporting (`unreachable`), when the node does not carry it yet, so
    /// the scheduler never races the controller onto a sick node.
    public var effectiveTaints: [Taint] {
        let key: String
        switch readiness {
        case .ready: return taints
        case .notReady: key = Taint.notReadyKey
        case .unknown: key = Taint.unreachableKey
        }
        if taints.contains(where: { $0.key == key && $0.effect == .noSchedule }) { return taints }
        return taints + [Taint(key: key, effect: .noSchedule)]
    }
}
