import Logging
import SkiffModel
import SkiffStore

/// The registry's side of custom resources: every `CustomResourceDefinition` that is not being deleted becomes
/// resource types in the registry (discovery, REST, watch). `SkiffControllers.CustomResourceController` follows the
/// definitions and calls `serveCustomResources` and `removeCustomResources`; `loadCustomResources` serves the stored
/// ones once before the server starts.
extension ObjectRegistry {
    static let customResourceDefinitions = ResourceRegistry().lookup(
        group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")!

    /// The resource types one definition serves (one per served version); empty for an unusable definition.
    static func resourceTypes(of definition: JSON) -> [ResourceType] {
        let spec = definition["spec"]
        guard let group = spec["group"].stringValue, let plural = spec["names"]["plural"].stringValue,
            let kind = spec["names"]["kind"].stringValue, definition.deletionTimestamp == nil
        else { return [] }
        let shortNames = spec["names"]["shortNames"].arrayValue?.compactMap(\.stringValue) ?? []
        let categories = spec["names"]["categories"].arrayValue?.compactMap(\.stringValue) ?? []
        return (spec["versions"].arrayValue ?? []).compactMap { version -> ResourceType? in
            guard let name = version["name"].stringValue, version["served"].boolValue != false else { return nil }
            var subresources: [Subresource] = []
            if case .object = version["subresources"]["status"] {
                subresources.append(.status(of: GroupVersionKind(group: group, version: name, kind: kind)))
            }
            if case .object = version["subresources"]["scale"] { subresources.append(.scale) }
            var type = ResourceType(
                group: group, version: name, kind: kind, resource: plural,
                singular: spec["names"]["singular"].stringValue ?? kind.lowercased(),
                namespaced: spec["scope"].stringValue != "Cluster", shortNames: shortNames, categories: categories,
                subresources: subresources,
                customSchema: version["schema"]["openAPIV3Schema"].objectValue.map(JSON.object))
            type.printerColumns = PrinterColumn.columns(ofCRD: definition, version: name)
            return type
        }
    }

    /// Serves exactly the types of `definitions` (besides the built-in ones).
    public func serveCustomResources(_ definitions: [JSON]) {
        let types = definitions.flatMap(Self.resourceTypes(of:))
        updateResources { $0 = ResourceRegistry().adding(types) }
    }

    /// Serves every stored definition (done once before serving).
    public func loadCustomResources() async throws(APIError) {
        let page = try await list(Self.customResourceDefinitions, namespace: nil)
        var definitions: [JSON] = []
        for item in page.items { definitions.append(try StoredBytes.decode(item)) }
        serveCustomResources(definitions)
    }

    /// Deletes the stored instances of a deleted definition, so a later definition of the same name starts empty.
    /// Straight from the store: the registry no longer serves their type.
    public func removeCustomResources(of definition: JSON) async {
        guard let group = definition["spec"]["group"].stringValue,
            let plural = definition["spec"]["names"]["plural"].stringValue
        else { return }
        let type = ResourceType(
            group: group, version: "v1", kind: definition["spec"]["names"]["kind"].stringValue ?? "", resource: plural,
            namespaced: definition["spec"]["scope"].stringValue != "Cluster")
        do {
            let page = try await list(type, namespace: nil)
            for item in page.items {
                do {
                    _ = try await store.delete(item.key, expectedRevision: nil)
                } catch {
                    logger.warning(
                        "custom resource instance not removed",
                        metadata: ["crd": "\(definition.name ?? "")", "key": "\(item.key)", "error": "\(error)"])
                }
            }
        } catch {
            logger.warning(
                "custom resource instances not listed",
                metadata: ["crd": "\(definition.name ?? "")", "error": "\(error)"])
        }
    }
}
