/// One step of a managed-fields path, as structured-merge-diff names them: a struct or map field (`f:name`), an
/// item of an associative list by its key fields (`k:{"name":"app"}`), an item of a set (`v:"x"`), or a position
/// (`i:0`).
public enum FieldPathElement: Sendable, Hashable {
    /// `f:<name>`.
    case field(String)
    /// `k:{…}`: key field names (sorted) with their values.
    case key([KeyField])
    /// `v:<json>`.
    case value(JSON)
    /// `i:<n>`.
    case index(Int)

    /// One key field of an associative list item.
    public struct KeyField: Sendable, Hashable {
        /// The field name, e.g. `containerPort`.
        public var name: String
        /// Its value.
        public var value: JSON

        /// A key field.
        public init(name: String, value: JSON) {
            self.name = name
            self.value = value
        }
    }

    /// The element as a FieldsV1 object key: `f:spec`, `k:{"name":"app"}`, `v:"x"`, `i:0`.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name):
            return "f:" + name
        case .key(let fields):
            let object = JSONObject(fields.map { ($0.name, $0.value) })
            return "k:" + JSON.object(object).serializedString()
        case .value(let value):
            return "v:" + value.serializedString()
        case .index(let index):
            return "i:\(index)"
        }
    }

    /// Parses a FieldsV1 object key.
    public init(fieldsV1Key key: String) throws(PatchError) {
        guard key.utf8.count >= 2, key.dropFirst().first == ":" else {
            throw .invalid("invalid managed fields key \"\(key)\": missing colon")
        }
        let body = String(key.dropFirst(2))
        switch key.first {
        case "f":
            self = .field(body)
        case "k":
            guard case .object(let object)? = try? JSON(parsing: body) else {
                throw .invalid("invalid managed fields key \"\(key)\": expected a JSON object")
            }
            self = .key(object.map { KeyField(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name })
        case "v":
            guard let value = try? JSON(parsing: body) else {
                throw .invalid("invalid managed fields key \"\(key)\": expected a JSON value")
            }
            self = .value(value)
        case "i":
            guard let index = Int(body) else { throw .invalid("invalid managed fields key \"\(key)\": bad index") }
            self = .index(index)
        default:
            throw .invalid("invalid managed fields key \"\(key)\": unknown path element type")
        }
    }

    /// The element as upstream prints paths in conflict messages: `.name`, `[name="app"]`, `[="x"]`, `[0]`.
    public var description: String {
        switch self {
        case .field(let name):
            return "." + name
        case .key(let fields):
            return "[" + fields.map { "\($0.name)=\(Self.goString($0.value))" }.joined(separator: ",") + "]"
        case .value(let value):
            return "[=" + Self.goString(value) + "]"
        case .index(let index):
            return "[\(index)]"
        }
    }

    /// structured-merge-diff `value.ToString`: strings quoted, other scalars bare.
    private static func goString(_ value: JSON) -> String {
        switch value {
        case .string(let text): return LabelValidation.goQuote(text)
        case .null: return "null"
        default: return value.serializedString()
        }
    }

    /// structured-merge-diff's order: fields, then keys, then values, then indices.
    static func precedes(_ a: FieldPathElement, _ b: FieldPathElement) -> Bool {
        switch (a, b) {
        case (.field(let x), .field(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.key(let x), .key(let y)):
            for (l, r) in zip(x, y) {
                if l.name != r.name { return Array(l.name.utf8).lexicographicallyPrecedes(Array(r.name.utf8)) }
                if l.value != r.value { return valuePrecedes(l.value, r.value) }
            }
            return x.count < y.count
        case (.value(let x), .value(let y)): return valuePrecedes(x, y)
        case (.index(let x), .index(let y)): return x < y
        default: return a.rank < b.rank
        }
    }

    private var rank: Int {
        switch self {
        case .field: return 0
        case .key: return 1
        case .value: return 2
        case .index: return 3
        }
    }

    private static func valuePrecedes(_ a: JSON, _ b: JSON) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue, x != y { return x < y }
        if let x = a.stringValue, let y = b.stringValue {
            return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        }
        return a.serializedString() < b.serializedString()
    }
}

/// A path from an object's root to a field, list item or value it contains.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// The steps from the root.
    public var elements: [FieldPathElement]

    /// A path of `elements`.
    public init(_ elements: [FieldPathElement]) {
        self.elements = elements
    }

    /// A path of field names, e.g. `FieldPath(fields: "spec", "replicas")`.
    public init(fields names: String...) {
        elements = names.map(FieldPathElement.field)
    }

    /// As upstream prints it in conflicts: `.spec.containers[name="app"].image`.
    public var description: String {
        elements.map(\.description).joined()
    }

    /// This path extended by one element.
    func appending(_ element: FieldPathElement) -> FieldPath {
        FieldPath(elements + [element])
    }

    /// Whether this path is a proper prefix of `other`.
    func isAncestor(of other: FieldPath) -> Bool {
        elements.count < other.elements.count && Array(other.elements.prefix(elements.count)) == elements
    }
}
