import SkiffModel

/// One node selector term: its `matchExpressions` (on labels) and `matchFields` (on `metadata.name`) are ANDed.
public struct NodeSelectorTerm: Sendable, Hashable {
    /// Requirements on node labels.
    public var matchExpressions: [NodeSelectorRequirement]
    /// Requirements on node fields; only `metadata.name` exists on nodes, with `In`/`NotIn` and one value.
    public var matchFields: [NodeSelectorRequirement]

    /// The field name a node carries for `matchFields`.
    public static let nameField = "metadata.name"

    /// A term.
    public init(matchExpressions: [NodeSelectorRequirement] = [], matchFields: [NodeSelectorRequirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }

    /// A term from its JSON form.
    public init(json: JSON) {
        self.init(
            matchExpressions: json["matchExpressions"].arrayValue?.map(NodeSelectorRequirement.init(json:)) ?? [],
            matchFields: json["matchFields"].arrayValue?.map(NodeSelectorRequirement.init(json:)) ?? [])
    }

    /// Whether the term has no requirements; upstream lets an empty term match nothing.
    public var isEmpty: Bool { matchExpressions.isEmpty && matchFields.isEmpty }

    /// Whether upstream's parser accepts the term; an invalid term matches nothing.
    public var isValid: Bool {
        matchExpressions.allSatisfy { $0.invalidReason == nil }
            && matchFields.allSatisfy { field in
                // Field selectors accept only In/NotIn with exactly one value.
                (field.operator == .in || field.operator == .notIn) && field.values.count == 1
            }
    }

    /// Whether a node with `labels` named `nodeName` satisfies the term.
    public func matches(labels: [String: String], nodeName: String) -> Bool {
        if isEmpty || !isValid { return false }
        for requirement in matchExpressions where !requirement.matches(labels: labels) { return false }
        for field in matchFields {
            // A field other than metadata.name reads as empty, as a missing key in a Go fields.Set does.
            let actual = field.key == Self.nameField ? nodeName : ""
            let equal = field.values.first == actual
            if (field.operator == .in) != equal { return false }
        }
        return true
    }

    /// The node names this term is limited to by `matchFields` `metadata.name In`, or nil when it names none.
    var requiredNodeNames: Set<String>? {
        var names: Set<String>?
        for field in matchFields where field.key == Self.nameField && field.operator == .in {
            let values = Set(field.values)
            names = names.map { $0.intersection(values) } ?? values
        }
        return names
    }
}

/// A required node selector (`requiredDuringSchedulingIgnoredDuringExecution`): its terms are ORed.
public struct NodeSelector: Sendable, Hashable {
    /// The terms.
    public var terms: [NodeSelectorTerm]

    /// A selector with `terms`.
    public init(terms: [NodeSelectorTerm]) { self.terms = terms }

    /// A selector from its JSON form.
    public init(json: JSON) {
        self.init(terms: json["nodeSelectorTerms"].arrayValue?.map(NodeSelectorTerm.init(json:)) ?? [])
    }

    /// Whether any term matches the node.
    public func matches(labels: [String: String], nodeName: String) -> Bool {
        terms.contains { $0.matches(labels: labels, nodeName: nodeName) }
    }
}

/// A weighted preferred term (`preferredDuringSchedulingIgnoredDuringExecution[]`).
public struct PreferredSchedulingTerm: Sendable, Hashable {
    /// The weight added to a node's score when the term matches (1–100).
    public var weight: Int64
    /// The term.
    public var preference: NodeSelectorTerm

    /// A weighted term.
    public init(weight: Int64, preference: NodeSelectorTerm) {
        self.weight = weight
        self.preference = preference
    }

    /// A weighted term from its JSON form.
    public init(json: JSON) {
        self.init(weight: json["weight"].int64Value ?? 0, preference: NodeSelectorTerm(json: json["preference"]))
    }
}
