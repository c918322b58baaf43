/// Where a value sits in the schema while a patch walks an object: a known type, the values of a map, or unknown
/// (no schema, `any`, or a field the schema does not list). Unknown values merge like JSON merge patch.
enum SchemaNode: Sendable {
    case type(TypeSchema)
    case map(FieldType)
    case unknown

    /// The node for values of `type`; arrays resolve to their element type.
    static func of(_ type: FieldType, in registry: SchemaRegistry) -> SchemaNode {
        switch type {
        case .object(let name):
            return registry[name].map(SchemaNode.type) ?? .unknown
        case .map(let element):
            return .map(element)
        case .array(let element):
            return of(element, in: registry)
        default:
            return .unknown
        }
    }

    /// The field schema (when declared) and node of the member `key`.
    func child(_ key: String, in registry: SchemaRegistry) -> (field: FieldSchema?, node: SchemaNode) {
        switch self {
        case .type(let schema):
            guard let field = schema.field(key) else { return (nil, .unknown) }
            return (field, SchemaNode.of(field.type, in: registry))
        case .map(let element):
            return (nil, SchemaNode.of(element, in: registry))
        case .unknown:
            return (nil, .unknown)
        }
    }

    /// Whether `key` is a declared field of a struct type (as opposed to a map entry or an unknown member).
    func declares(_ key: String) -> Bool {
        if case .type(let schema) = self { return schema.field(key) != nil }
        return false
    }

    /// The type name, for messages.
    var name: String {
        switch self {
        case .type(let schema): return schema.name
        case .map: return "map"
        case .unknown: return "unknown type"
        }
    }
}

extension FieldSchema {
    /// The strategic-merge strategy other than `retainKeys` (`merge`, `replace` or nil), as upstream's
    /// `extractRetainKeysPatchStrategy` reads `patchStrategy`.
    var mergeStrategy: String? {
        guard let patchStrategy else { return nil }
        return patchStrategy.split(separator: ",").map { $0.trimmingSpaces() }.first { $0 != "retainKeys" }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
