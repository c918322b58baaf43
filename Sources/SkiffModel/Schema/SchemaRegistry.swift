/// Type schemas by OpenAPI name and by group-version-kind.
public struct SchemaRegistry: Sendable {
    public private(set) var types: [String: TypeSchema]
    private var byKind: [GroupVersionKind: String]

    public init(_ schemas: [TypeSchema]) {
        types = [:]
        byKind = [:]
        for schema in schemas {
            types[schema.name] = schema
            if let gvk = schema.groupVersionKind { byKind[gvk] = schema.name }
        }
    }

    public subscript(name: String) -> TypeSchema? { types[name] }

    public func schema(for kind: GroupVersionKind) -> TypeSchema? {
        byKind[kind].flatMap { types[$0] }
    }

    /// The schema of the value at `field` of `type`, following arrays and maps to their element type.
    public func elementSchema(of field: FieldSchema) -> TypeSchema? {
        var type = field.type
        while true {
            switch type {
            case .array(let element), .map(let element): type = element
            case .object(let name): return types[name]
            default: return nil
            }
        }
    }
}
