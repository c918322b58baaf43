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
        if let name = byKind[kind] { return types[name] }
        return Self.inEveryGroupVersion[kind.kind].flatMap { types[$0] }
    }

    /// Kinds upstream registers in every group version (`metav1.AddToGroupVersion`): client-go encodes a
    /// DeleteOptions body with the version of the resource it deletes, e.g. `apps/v1`.
    static let inEveryGroupVersion = ["DeleteOptions": "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]

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
