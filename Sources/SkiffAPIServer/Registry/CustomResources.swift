import Logging
import ServiceLifecycle
import SkiffModel
import SkiffStore

/// Serves custom resources: every established `CustomResourceDefinition` becomes resource types in the registry
/// (discovery, REST, watch), and the definition's status reports `NamesAccepted` and `Established`.
public struct CustomResourceController: Service {
    let registry: ObjectRegistry
    let logger: Logger

    public init(registry: ObjectRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    static let definitions = ResourceRegistry().lookup(
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
            return ResourceType(
                group: group, version: name, kind: kind, resource: plural,
                singular: spec["names"]["singular"].stringValue ?? kind.lowercased(),
                namespaced: spec["scope"].stringValue != "Cluster", shortNames: shortNames, categories: categories,
                subresources: subresources,
                customSchema: version["schema"]["openAPIV3Schema"].objectValue.map(JSON.object))
        }
    }

    /// Loads every stored definition into the registry (done once before serving).
    public func loadAll() async throws(APIError) -> Revision {
        let page = try await registry.list(Self.definitions, namespace: nil)
        var types: [ResourceType] = []
        for item in page.items { types += Self.resourceTypes(of: try StoredBytes.decode(item)) }
        registry.updateResources { $0 = ResourceRegistry().adding(types) }
        return page.revision
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let revision = try await loadAll()
                try await establishAll()
                let stream = try await registry.watch(Self.definitions, namespace: nil, after: revision)
                for try await event in stream.cancelOnGracefulShutdown() {
                    _ = try await loadAll()
                    if event.kind == .deleted {
                        await removeInstances(of: try StoredBytes.decode(event.current))
                    } else {
                        try await establish(try StoredBytes.decode(event.current))
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.warning("custom resource controller restarting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func establishAll() async throws(APIError) {
        let page = try await registry.list(Self.definitions, namespace: nil)
        for item in page.items { try await establish(try StoredBytes.decode(item)) }
    }

    /// Marks a definition established (names accepted, stored version recorded) unless it already is.
    private func establish(_ definition: JSON) async throws(APIError) {
        guard let name = definition.name, definition.deletionTimestamp == nil else { return }
        let conditions = definition["status"]["conditions"].arrayValue ?? []
        if conditions.contains(where: { $0["type"] == "Established" && $0["status"] == "True" }) { return }
        let now = KubeTimestamp.string(registry.now())
        _ = try await registry.update(Self.definitions, namespace: nil, name: name, subresource: "status") {
            live throws(APIError) in
            guard var live else { throw APIError.notFound(Self.definitions, name) }
            live["status"]["conditions"] = [
                ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": .string(now)],
                ["type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": .string(now)],
            ]
            live["status"]["acceptedNames"] = live["spec"]["names"]
            let storage = (live["spec"]["versions"].arrayValue ?? []).first { $0["storage"].boolValue == true }
            live["status"]["storedVersions"] = .array([storage?["name"] ?? .null].filter { !$0.isNull })
            _ = live.removeValue(at: "metadata", "resourceVersion")
            return live
        }
        logger.info("custom resource established", metadata: ["crd": "\(name)"])
    }

    /// Deletes the stored instances of a deleted definition so a later definition of the same name starts empty.
    private func removeInstances(of definition: JSON) async {
        guard let group = definition["spec"]["group"].stringValue,
            let plural = definition["spec"]["names"]["plural"].stringValue
        else { return }
        let type = ResourceType(
            group: group, version: "v1", kind: definition["spec"]["names"]["kind"].stringValue ?? "", resource: plural,
            namespaced: definition["spec"]["scope"].stringValue != "Cluster")
        guard let page = try? await registry.list(type, namespace: nil) else { return }
        for item in page.items { _ = try? await registry.store.delete(item.key, expectedRevision: nil) }
    }
}
