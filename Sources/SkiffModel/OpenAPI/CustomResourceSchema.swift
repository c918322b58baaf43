/// A custom resource's component schemas as the API server publishes them: the version's `openAPIV3Schema` with
/// `apiVersion`, `kind` and `metadata` (ObjectMeta) filled in and `x-kubernetes-group-version-kind`, and its list. The
/// names reverse the group, as upstream's: `stable.example.com/v1 CronTab` is `com.example.stable.v1.CronTab`.
enum CustomResourceSchema {
    static let objectMetaType = OpenAPIDocumentBuilder.metaPrefix + "ObjectMeta"
    static let listMetaType = OpenAPIDocumentBuilder.metaPrefix + "ListMeta"

    static let apiVersionDescription =
        "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
        + "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
        + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
    static let kindDescription =
        "Kind is a string value representing the REST resource this object represents. Servers may infer this from "
        + "the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
        + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"

    /// The component name of a custom kind.
    static func name(_ resource: ResourceType, kind: String) -> String {
        let group = resource.group.split(separator: ".").reversed().joined(separator: ".")
        return "\(group).\(resource.version).\(kind)"
    }

    /// Adds the kind's and the list's schemas to `components`; returns their names.
    static func add(
        _ resource: ResourceType, schema: JSON, to components: inout OpenAPIComponentCollector
    ) -> (kind: String, list: String) {
        let kindName = name(resource, kind: resource.kind)
        let listName = name(resource, kind: resource.listKind)
        var object = schema.objectValue ?? ["type": "object"]
        if object["type"] == nil { object["type"] = "object" }
        var properties = object["properties"]?.objectValue ?? JSONObject()
        properties["apiVersion"] = ["type": "string", "description": .string(apiVersionDescription)]
        properties["kind"] = ["type": "string", "description": .string(kindDescription)]
        properties["metadata"] = [
            "allOf": [["$ref": .string(OpenAPIDocumentBuilder.schemaPrefix + objectMetaType)]],
            "description":
                "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        ]
        object["properties"] = .object(properties)
        object["x-kubernetes-group-version-kind"] = gvk(resource, kind: resource.kind)
        components.add(kindName, schema: .object(object), references: [objectMetaType])

        let list: JSON = [
            "description": .string("\(resource.listKind) is a list of \(resource.kind)"),
            "type": "object",
            "required": ["items"],
            "properties": [
                "apiVersion": ["type": "string", "description": .string(apiVersionDescription)],
                "items": [
                    "type": "array",
                    "description": .string(
                        "List of \(resource.resource). More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
                    ),
                    "items": ["$ref": .string(OpenAPIDocumentBuilder.schemaPrefix + kindName)],
                ],
                "kind": ["type": "string", "description": .string(kindDescription)],
                "metadata": [
                    "allOf": [["$ref": .string(OpenAPIDocumentBuilder.schemaPrefix + listMetaType)]],
                    "description":
                        "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                ],
            ],
            "x-kubernetes-group-version-kind": gvk(resource, kind: resource.listKind),
        ]
        components.add(listName, schema: list, references: [listMetaType])
        return (kindName, listName)
    }

    static func gvk(_ resource: ResourceType, kind: String) -> JSON {
        [["group": .string(resource.group), "kind": .string(kind), "version": .string(resource.version)]]
    }
}
