import SkiffModel

extension ObjectRegistry {
    /// The namespaces every cluster has from its first start.
    static let seededNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Creates the seeded namespaces that are missing and reconciles the default RBAC policy; safe on every start.
    public func seed() async throws(APIError) {
        for name in Self.seededNamespaces {
            do {
                _ = try await create(Self.namespaceType, namespace: nil, object: ["metadata": ["name": .string(name)]])
            } catch let error where error.reason == "AlreadyExists" {
                continue
            }
        }
        try await seedRBAC()
    }
}

extension ObjectRegistry {
    /// Creates the default RBAC objects (`BootstrapPolicy`) and reconciles them on every start, as upstream's
    /// `rbac/bootstrap-roles` hook does: unless an object is annotated `rbac.authorization.kubernetes.io/autoupdate:
    /// "false"`, missing rules, subjects, labels and annotations are added back (nothing a user added is removed), and
    /// a binding whose role changed is recreated.
    public func seedRBAC() async throws(APIError) {
        let sets: [(String, [JSON])] = [
            ("clusterroles", BootstrapPolicy.clusterRoles),
            ("clusterrolebindings", BootstrapPolicy.clusterRoleBindings),
            ("roles", BootstrapPolicy.roles), ("rolebindings", BootstrapPolicy.roleBindings),
        ]
        for (resource, objects) in sets {
            guard let type = resources.lookup(group: RBACStrategy.group, version: "v1", resource: resource) else {
                continue
            }
            for object in objects { try await reconcileBootstrap(type, object) }
        }
    }

    private func reconcileBootstrap(_ type: ResourceType, _ wanted: JSON) async throws(APIError) {
        let name = wanted.name ?? ""
        let namespace = type.namespaced ? wanted.namespace : nil
        let live: JSON
        do {
            live = try await getObject(type, namespace: namespace, name: name)
        } catch  where error.code == 404 {
            _ = try await create(type, namespace: namespace, object: wanted)
            return
        }
        let annotations = live["metadata"]["annotations"]
        if annotations["rbac.authorization.kubernetes.io/autoupdate"].stringValue == "false" { return }
        if case .object = wanted["roleRef"], live["roleRef"] != wanted["roleRef"] {
            _ = try await delete(type, namespace: namespace, name: name)
            _ = try await create(type, namespace: namespace, object: wanted)
            return
        }
        var next = live
        for field in ["labels", "annotations"] {
            for (key, value) in wanted["metadata"][field].objectValue ?? JSONObject()
            where live["metadata"][field][key].isNull {
                next["metadata"][field][key] = value
            }
        }
        for list in ["rules", "subjects"] {
            guard let items = wanted[list].arrayValue else { continue }
            var merged = live[list].arrayValue ?? []
            for item in items where !merged.contains(item) { merged.append(item) }
            next[list] = .array(merged)
        }
        if case .object = wanted["aggregationRule"] { next["aggregationRule"] = wanted["aggregationRule"] }
        guard next != live else { return }
        _ = try await update(type, namespace: namespace, name: name) { _ throws(APIError) in next }
    }
}
