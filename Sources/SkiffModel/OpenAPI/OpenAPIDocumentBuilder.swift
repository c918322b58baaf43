/// Builds the OpenAPI 3.0 document of one group-version: paths with the REST operations of each resource, and the
/// component schemas of every type they reference, shaped like the API server's own documents.
struct OpenAPIDocumentBuilder {
    let groupVersion: ResourceRegistry.GroupVersion
    let resources: [ResourceType]
    let schemas: SchemaRegistry
    let kubernetesVersion: String

    static let schemaPrefix = "#/components/schemas/"
    static let metaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1."
    static let patchType = metaPrefix + "Patch"
    static let deleteOptionsType = metaPrefix + "DeleteOptions"
    static let statusType = metaPrefix + "Status"
    static let responseMediaTypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    static let patchMediaTypes = [
        "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ]

    func document() -> JSON {
        var components = OpenAPIComponentCollector(schemas: schemas)
        var paths = JSONObject()
        for resource in resources {
            addPaths(for: resource, into: &paths, components: &components)
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": .string(kubernetesVersion)],
            "paths": .object(paths),
            "components": ["schemas": .object(components.rendered())],
        ]
    }

    // MARK: Paths

    private var prefix: String {
        groupVersion.group.isEmpty
            ? "/api/\(groupVersion.version)" : "/apis/\(groupVersion.group)/\(groupVersion.version)"
    }

    /// `CoreV1`, `AppsV1`, `RbacAuthorizationV1`: the infix of upstream operation ids.
    private var operationInfix: String {
        let group = groupVersion.group.isEmpty ? "core" : groupVersion.group.replacingSuffix(".k8s.io", with: "")
        return group.split(separator: ".").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            + groupVersion.version.prefix(1).uppercased() + groupVersion.version.dropFirst()
    }

    /// `core_v1`, `apps_v1`, `rbacAuthorization_v1`.
    private var tag: String {
        let infix = operationInfix.dropLast(groupVersion.version.count)
        return infix.prefix(1).lowercased() + infix.dropFirst() + "_" + groupVersion.version
    }

    private func addPaths(
        for resource: ResourceType, into paths: inout JSONObject, components: inout OpenAPIComponentCollector
    ) {
        let kind = resource.groupVersionKind
        var kindType = schemas.schema(for: kind)?.name
        var listType = schemas.schema(
            for: GroupVersionKind(group: kind.group, version: kind.version, kind: resource.listKind))?.name
        if kindType == nil, let schema = resource.customSchema {
            (kindType, listType) = CustomResourceSchema.add(resource, schema: schema, to: &components)
        }
        guard let kindType else { return }
        components.require(kindType)
        if let listType { components.require(listType) }
        components.require(Self.deleteOptionsType)
        components.require(Self.statusType)
        components.require(Self.patchType)

        let namespaced = resource.namespaced
        let scopeWord = namespaced ? "Namespaced" : ""
        let collectionPath =
            namespaced ? "\(prefix)/namespaces/{namespace}/\(resource.resource)" : "\(prefix)/\(resource.resource)"
        let itemPath = collectionPath + "/{name}"
        let scopeParameters = namespaced ? [Self.pathParameter("namespace")] : []

        var collection = JSONObject()
        if resource.supports("list"), let listType {
            collection["get"] = operation(
                "list\(operationInfix)\(scopeWord)\(resource.kind)", action: "list", kind: kind,
                parameters: Self.listParameters, responses: ["200": response(listType)])
        }
        if resource.supports("create") {
            collection["post"] = operation(
                "create\(operationInfix)\(scopeWord)\(resource.kind)", action: "post", kind: kind,
                parameters: Self.writeParameters, body: requestBody(kindType, mediaTypes: Self.responseMediaTypes),
                responses: ["200": response(kindType), "201": response(kindType), "202": response(kindType)])
        }
        if resource.supports("deletecollection") {
            collection["delete"] = operation(
                "deletecollection\(operationInfix)\(scopeWord)\(resource.kind)", action: "deletecollection", kind: kind,
                parameters: Self.deleteParameters + Self.listParameters,
                body: requestBody(Self.deleteOptionsType, mediaTypes: Self.responseMediaTypes, required: false),
                responses: ["200": response(Self.statusType)])
        }
        if !collection.isEmpty {
            collection["parameters"] = .array(scopeParameters + [Self.queryParameter("pretty", "string")])
            paths[collectionPath] = .object(collection)
        }

        var item = JSONObject()
        if resource.supports("get") {
            item["get"] = operation(
                "read\(operationInfix)\(scopeWord)\(resource.kind)", action: "get", kind: kind, parameters: [],
                responses: ["200": response(kindType)])
        }
        if resource.supports("update") {
            item["put"] = operation(
                "replace\(operationInfix)\(scopeWord)\(resource.kind)", action: "put", kind: kind,
                parameters: Self.writeParameters, body: requestBody(kindType, mediaTypes: Self.responseMediaTypes),
                responses: ["200": response(kindType), "201": response(kindType)])
        }
        if resource.supports("patch") {
            item["patch"] = patchOperation(
                "patch\(operationInfix)\(scopeWord)\(resource.kind)", kind: kind, responseType: kindType)
        }
        if resource.supports("delete") {
            item["delete"] = operation(
                "delete\(operationInfix)\(scopeWord)\(resource.kind)", action: "delete", kind: kind,
                parameters: Self.deleteParameters,
                body: requestBody(Self.deleteOptionsType, mediaTypes: Self.responseMediaTypes, required: false),
                responses: ["200": response(Self.statusType), "202": response(Self.statusType)])
        }
        if !item.isEmpty {
            item["parameters"] = .array(
                [Self.pathParameter("name")] + scopeParameters + [Self.queryParameter("pretty", "string")])
            paths[itemPath] = .object(item)
        }

        if namespaced, resource.supports("list"), let listType {
            paths["\(prefix)/\(resource.resource)"] = [
                "get": operation(
                    "list\(operationInfix)\(resource.kind)ForAllNamespaces", action: "list", kind: kind,
                    parameters: Self.listParameters, responses: ["200": response(listType)]),
                "parameters": [Self.queryParameter("pretty", "string")],
            ]
        }

        for subresource in resource.subresources {
            addSubresource(
                subresource, of: resource, itemPath: itemPath, scopeParameters: scopeParameters,
                into: &paths, components: &components)
        }
    }

    private func addSubresource(
        _ subresource: Subresource, of resource: ResourceType, itemPath: String, scopeParameters: [JSON],
        into paths: inout JSONObject, components: inout OpenAPIComponentCollector
    ) {
        let scopeWord = resource.namespaced ? "Namespaced" : ""
        let suffix = subresource.name.prefix(1).uppercased() + subresource.name.dropFirst()
        let name = "\(operationInfix)\(scopeWord)\(resource.kind)\(suffix)"
        var entry = JSONObject()
        if let responseKind = subresource.responseKind, let responseType = schemas.schema(for: responseKind)?.name {
            components.require(responseType)
            if subresource.verbs.contains("get") {
                entry["get"] = operation(
                    "read\(name)", action: "get", kind: responseKind, parameters: [],
                    responses: ["200": response(responseType)])
            }
            if subresource.verbs.contains("update") {
                entry["put"] = operation(
                    "replace\(name)", action: "put", kind: responseKind, parameters: Self.writeParameters,
                    body: requestBody(responseType, mediaTypes: Self.responseMediaTypes),
                    responses: ["200": response(responseType), "201": response(responseType)])
            }
            if subresource.verbs.contains("patch") {
                entry["patch"] = patchOperation("patch\(name)", kind: responseKind, responseType: responseType)
            }
            if subresource.verbs.contains("create") {
                entry["post"] = operation(
                    "create\(name)", action: "post", kind: responseKind, parameters: Self.writeParameters,
                    body: requestBody(responseType, mediaTypes: Self.responseMediaTypes),
                    responses: [
                        "200": response(responseType), "201": response(responseType), "202": response(responseType),
                    ])
            }
        } else {
            // Streams (log, exec, attach, portforward, proxy) answer with text or upgrade the connection.
            let optionsKind = subresource.name == "log" ? resource.kind : resource.kind + suffix + "Options"
            let kind = GroupVersionKind(group: resource.group, version: resource.version, kind: optionsKind)
            let text: JSON = [
                "description": "OK",
                "content": ["*/*": ["schema": ["type": "string"]]],
            ]
            if subresource.verbs.contains("get") {
                entry["get"] = operation(
                    "connectGet\(name)", action: subresource.name == "log" ? "get" : "connect", kind: kind,
                    parameters: [], responses: ["200": text])
            }
            if subresource.verbs.contains("create") {
                entry["post"] = operation(
                    "connectPost\(name)", action: "connect", kind: kind, parameters: [], responses: ["200": text])
            }
        }
        guard !entry.isEmpty else { return }
        entry["parameters"] = .array([Self.pathParameter("name")] + scopeParameters)
        paths["\(itemPath)/\(subresource.name)"] = .object(entry)
    }

    // MARK: Operations

    private func patchOperation(_ operationID: String, kind: GroupVersionKind, responseType: String) -> JSON {
        var parameters = Self.writeParameters
        parameters.append(Self.queryParameter("force", "boolean"))
        return operation(
            operationID, action: "patch", kind: kind, parameters: parameters,
            body: requestBody(Self.patchType, mediaTypes: Self.patchMediaTypes),
            responses: ["200": response(responseType), "201": response(responseType)])
    }

    private func operation(
        _ operationID: String, action: String, kind: GroupVersionKind, parameters: [JSON], body: JSON? = nil,
        responses: JSONObject
    ) -> JSON {
        var responses = responses
        responses["401"] = ["description": "Unauthorized"]
        var operation: JSONObject = [
            "operationId": .string(operationID),
            "tags": [.string(tag)],
            "x-kubernetes-action": .string(action),
            "x-kubernetes-group-version-kind": [
                "group": .string(kind.group), "kind": .string(kind.kind), "version": .string(kind.version),
            ],
            "responses": .object(responses),
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body { operation["requestBody"] = body }
        return .object(operation)
    }

    private func response(_ typeName: String) -> JSON {
        var content = JSONObject()
        for mediaType in Self.responseMediaTypes {
            content[mediaType] = ["schema": ["$ref": .string(Self.schemaPrefix + typeName)]]
        }
        return ["description": "OK", "content": .object(content)]
    }

    private func requestBody(_ typeName: String, mediaTypes: [String], required: Bool = true) -> JSON {
        var content = JSONObject()
        for mediaType in mediaTypes {
            content[mediaType] = ["schema": ["$ref": .string(Self.schemaPrefix + typeName)]]
        }
        return ["content": .object(content), "required": .bool(required)]
    }

    static func pathParameter(_ name: String) -> JSON {
        ["in": "path", "name": .string(name), "required": true, "schema": ["type": "string", "uniqueItems": true]]
    }

    static func queryParameter(_ name: String, _ type: String) -> JSON {
        ["in": "query", "name": .string(name), "schema": ["type": .string(type), "uniqueItems": true]]
    }

    /// dryRun, fieldManager and fieldValidation: what kubectl looks for before sending `fieldValidation=Strict`.
    static let writeParameters: [JSON] = [
        queryParameter("dryRun", "string"), queryParameter("fieldManager", "string"),
        queryParameter("fieldValidation", "string"),
    ]

    static let listParameters: [JSON] = [
        queryParameter("allowWatchBookmarks", "boolean"), queryParameter("continue", "string"),
        queryParameter("fieldSelector", "string"), queryParameter("labelSelector", "string"),
        queryParameter("limit", "integer"), queryParameter("resourceVersion", "string"),
        queryParameter("resourceVersionMatch", "string"), queryParameter("sendInitialEvents", "boolean"),
        queryParameter("timeoutSeconds", "integer"), queryParameter("watch", "boolean"),
    ]

    static let deleteParameters: [JSON] = [
        queryParameter("dryRun", "string"), queryParameter("gracePeriodSeconds", "integer"),
        queryParameter("orphanDependents", "boolean"), queryParameter("propagationPolicy", "string"),
    ]
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
