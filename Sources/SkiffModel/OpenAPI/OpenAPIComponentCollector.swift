/// Collects the component schemas a document references and renders them, following object references to every
/// reachable type. Value types with their own JSON form (Quantity, IntOrString, Time, …) become the named components
/// the API server publishes for them.
struct OpenAPIComponentCollector {
    let schemas: SchemaRegistry
    private var pending: [String] = []
    private var included: Set<String> = []
    /// Components given whole (custom resources' schemas), by name.
    private var given: [String: JSON] = [:]

    static let quantityType = "io.k8s.apimachinery.pkg.api.resource.Quantity"
    static let intOrStringType = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
    static let timeType = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
    static let microTimeType = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
    static let rawExtensionType = "io.k8s.apimachinery.pkg.runtime.RawExtension"
    static let extensionJSONType = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"

    init(schemas: SchemaRegistry) {
        self.schemas = schemas
    }

    mutating func require(_ typeName: String) {
        if included.insert(typeName).inserted { pending.append(typeName) }
    }

    /// Adds a component as it is (a custom resource's schema), together with the built-in types it references.
    mutating func add(_ typeName: String, schema: JSON, references: [String]) {
        given[typeName] = schema
        require(typeName)
        for reference in references { require(reference) }
    }

    /// Every required type and everything reachable from it, sorted by name like upstream documents.
    mutating func rendered() -> JSONObject {
        var rendered: [String: JSON] = [:]
        while let name = pending.popLast() {
            rendered[name] = render(name)
        }
        var object = JSONObject(minimumCapacity: rendered.count)
        for name in rendered.keys.sorted() {
            object[name] = rendered[name]
        }
        return object
    }

    private mutating func render(_ name: String) -> JSON {
        if let schema = given[name] { return schema }
        switch name {
        case Self.quantityType:
            return ["oneOf": [["type": "string"], ["type": "number"]]]
        case Self.intOrStringType:
            return [
                "format": "int-or-string", "oneOf": [["type": "integer"], ["type": "string"]],
                "x-kubernetes-int-or-string": true,
            ]
        case Self.timeType, Self.microTimeType:
            return ["type": "string", "format": "date-time"]
        case Self.rawExtensionType, OpenAPIDocumentBuilder.patchType:
            return ["type": "object"]
        case Self.extensionJSONType:
            return ["x-kubernetes-preserve-unknown-fields": true]
        default:
            break
        }
        guard let schema = schemas[name] else { return ["type": "object"] }
        var properties = JSONObject(minimumCapacity: schema.fields.count)
        for field in schema.fields.sorted(by: { $0.name < $1.name }) {
            properties[field.name] = property(field, owner: schema)
        }
        var object: JSONObject = ["type": "object"]
        if !schema.description.isEmpty { object["description"] = .string(schema.description) }
        object["properties"] = .object(properties)
        if !schema.required.isEmpty { object["required"] = .array(schema.required.map { .string($0) }) }
        if let gvk = schema.groupVersionKind {
            object["x-kubernetes-group-version-kind"] = [
                ["group": .string(gvk.group), "kind": .string(gvk.kind), "version": .string(gvk.version)]
            ]
        }
        if let mapType = schema.mapType { object["x-kubernetes-map-type"] = .string(mapType) }
        return .object(object)
    }

    private mutating func property(_ field: FieldSchema, owner: TypeSchema) -> JSON {
        var object = typeSchema(field.type, owner: owner).objectValue ?? JSONObject()
        if !field.description.isEmpty { object["description"] = .string(field.description) }
        if let listType = field.listType { object["x-kubernetes-list-type"] = .string(listType) }
        if !field.listMapKeys.isEmpty {
            object["x-kubernetes-list-map-keys"] = .array(field.listMapKeys.map { .string($0) })
        }
        if let mapType = field.mapType { object["x-kubernetes-map-type"] = .string(mapType) }
        if let key = field.patchMergeKey { object["x-kubernetes-patch-merge-key"] = .string(key) }
        if let strategy = field.patchStrategy { object["x-kubernetes-patch-strategy"] = .string(strategy) }
        if object.contains("$ref"), object.count > 1, let reference = object["$ref"] {
            // OpenAPI 3.0 ignores siblings of $ref; upstream wraps the reference in allOf to keep them.
            object["$ref"] = nil
            var wrapped: JSONObject = ["allOf": [["$ref": reference]]]
            for (key, value) in object { wrapped[key] = value }
            object = wrapped
        }
        return .object(object)
    }

    private mutating func typeSchema(_ type: FieldType, owner: TypeSchema) -> JSON {
        switch type {
        case .string: return ["type": "string"]
        case .bytes: return ["type": "string", "format": "byte"]
        case .boolean: return ["type": "boolean"]
        case .int32: return ["type": "integer", "format": "int32"]
        case .int64: return ["type": "integer", "format": "int64"]
        case .double: return ["type": "number", "format": "double"]
        case .quantity: return reference(Self.quantityType)
        case .intOrString: return reference(Self.intOrStringType)
        case .time: return reference(Self.timeType)
        case .microTime: return reference(Self.microTimeType)
        case .any:
            // Free-form values: RawExtension and FieldsV1 are objects; CRD schema values may be anything.
            return reference(owner.name.contains(".apiextensions.") ? Self.extensionJSONType : Self.rawExtensionType)
        case .object(let name): return reference(name)
        case .array(let element): return ["type": "array", "items": typeSchema(element, owner: owner)]
        case .map(let element): return ["type": "object", "additionalProperties": typeSchema(element, owner: owner)]
        }
    }

    private mutating func reference(_ name: String) -> JSON {
        require(name)
        return ["$ref": .string(OpenAPIDocumentBuilder.schemaPrefix + name)]
    }
}
