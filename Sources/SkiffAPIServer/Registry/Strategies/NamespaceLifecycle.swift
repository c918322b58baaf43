import SkiffModel
import SkiffStore

/// Upstream's NamespaceLifecycle: no new content in a namespace that is missing or terminating, and the cluster's
/// own namespaces cannot be deleted. Namespaces recently seen active are remembered (`ActiveNamespaces`), so that
/// creating content does not read its namespace every time; as the namespaces' storage hooks it forgets a namespace
/// the moment the registry writes it.
struct NamespaceLifecycle: AdmissionStep, StorageHooks {
    /// Namespaces that hold the cluster's own objects cannot be deleted (as upstream).
    static let protectedNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    let active: ActiveNamespaces

    func admit(_ request: AdmissionRequest, registry: ObjectRegistry) async throws(APIError) {
        switch request.operation {
        case .create:
            guard request.type.namespaced, let namespace = request.namespace else { return }
            try await checkAcceptsContent(namespace, registry: registry)
        case .delete:
            guard request.type.groupResource == ObjectRegistry.namespaceType.groupResource,
                Self.protectedNamespaces.contains(request.name)
            else { return }
            throw APIError(
                code: 403, reason: "Forbidden",
                message: "namespaces \"\(request.name)\" is forbidden: this namespace may not be deleted",
                name: request.name, kind: "namespaces")
        case .update:
            return
        }
    }

    func checkAcceptsContent(_ namespace: String, registry: ObjectRegistry) async throws(APIError) {
        if active.isActive(namespace) { return }
        let namespaces = ObjectRegistry.namespaceType
        guard
            let kv = try await registry.storeCall({ () async throws(StoreError) in
                try await registry.store.get(ObjectRegistry.key(namespaces, namespace: nil, name: namespace))
            })
        else {
            throw APIError.notFound(namespaces, namespace)
        }
        let object = try registry.decode(kv)
        if object.deletionTimestamp != nil || object["status"]["phase"].stringValue == "Terminating" {
            throw APIError.forbidden(
                "unable to create new content in namespace \(namespace) because it is being terminated")
        }
        active.markActive(namespace, labels: PodSecurityStep.labels(object))
    }

    /// A namespace being written is read afresh by content creation, during and after the write.
    func writeBoundary(_ type: ResourceType, name: String) { active.forget(name) }
}

extension ObjectRegistry {
    static let namespaceType = ResourceRegistry().lookup(group: "", version: "v1", resource: "namespaces")!

    /// A namespace's `spec.finalizers`.
    static func namespaceFinalizers(_ object: JSON) -> [String] { NamespaceStrategy.finalizers(of: object) }
}
