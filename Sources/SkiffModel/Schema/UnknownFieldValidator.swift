/// Finds the fields of an object that its kind's schema does not know, as `fieldValidation=Strict` reports them.
///
/// Paths are written the way upstream's strict JSON decoder writes them: struct fields and map keys joined with
/// `.`, list indexes as `[i]` (`spec.template.spec.containers[0].imagePullPolicyy`). Matching is case-sensitive.
/// Fields of type `.any` (RawExtension, FieldsV1, CRD schema values) accept anything; values of the wrong JSON type are
/// not unknown fields and are left to validation.
public struct UnknownFieldValidator: Sendable {
    /// The schemas to check against.
    public var schemas: SchemaRegistry

    /// A validator over `schemas`.
    public init(schemas: SchemaRegistry = BuiltinSchemas.registry) {
        self.schemas = schemas
    }

    /// The paths of unknown fields in `object`, in document order.
    public func unknownFields(in object: JSON, schema: TypeSchema) -> [String] {
        var found: [String] = []
        var path: [String] = []
        visit(object, schema: schema, path: &path, found: &found)
        return found
    }

    /// The paths of unknown fields in an object of `kind`; nil when no schema describes the kind.
    public func unknownFields(in object: JSON, kind: GroupVersionKind) -> [String]? {
        schemas.schema(for: kind).map { unknownFields(in: object, schema: $0) }
    }

    /// Upstream's messages: `unknown field "spec.foo"`.
    public static func messages(_ paths: [String]) -> [String] {
        paths.map { "unknown field \"\($0)\"" }
    }

    private func visit(_ value: JSON, schema: TypeSchema, path: inout [String], found: inout [String]) {
        guard case .object(let object) = value else { return }
        for (key, child) in object {
            guard let field = schema.field(key) else {
                found.append(Self.join(path, key))
                continue
            }
            path.append(path.isEmpty ? key : "." + key)
            visit(child, type: field.type, path: &path, found: &found)
            path.removeLast()
        }
    }

    private func visit(_ value: JSON, type: FieldType, path: inout [String], found: inout [String]) {
        switch type {
        case .object(let name):
            if let schema = schemas[name] { visit(value, schema: schema, path: &path, found: &found) }
        case .array(let element):
            guard case .array(let elements) = value, Self.canHoldUnknownFields(element) else { return }
            for (index, item) in elements.enumerated() {
                path.append("[\(index)]")
                visit(item, type: element, path: &path, found: &found)
                path.removeLast()
            }
        case .map(let element):
            guard case .object(let entries) = value, Self.canHoldUnknownFields(element) else { return }
            for (key, item) in entries {
                path.append(path.isEmpty ? key : "." + key)
                visit(item, type: element, path: &path, found: &found)
                path.removeLast()
            }
        default:
            return
        }
    }

    private static func canHoldUnknownFields(_ type: FieldType) -> Bool {
        switch type {
        case .object, .array, .map: return true
        default: return false
        }
    }

    private static func join(_ path: [String], _ key: String) -> String {
        path.isEmpty ? key : path.joined() + "." + key
    }
}
