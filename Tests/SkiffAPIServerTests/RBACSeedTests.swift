import Logging
import SkiffClient
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

/// The default RBAC policy is created on first start and reconciled on every start: what is missing comes back,
/// what users added stays, and objects marked `autoupdate: "false"` are left alone.
@Suite struct RBACSeedTests {
    @Test func theBootstrapPolicyIsRestoredOnEachStartUnlessTurnedOff() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        let clusterRoles = api.type("rbac.authorization.k8s.io", "v1", "clusterroles")
        let bindings = api.type("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
        let names = try await api.list(clusterRoles, namespace: nil, options: ListOptions()).items.compactMap(\.name)
        #expect(names.count == BootstrapPolicy.clusterRoles.count)
        #expect(names.contains("cluster-admin") && names.contains("system:controller:deployment-controller"))

        // A user trims basic-user's rules and adds one of their own; deletes a binding; a restart restores both.
        var basic = try await api.get(clusterRoles, namespace: nil, name: "system:basic-user")
        let original = PolicyRule.rules(of: basic)
        let extra: JSON = ["verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]]
        basic["rules"] = [extra]
        _ = try await api.update(clusterRoles, namespace: nil, object: basic, subresource: nil, fieldManager: "t")
        try await api.delete(bindings, namespace: nil, name: "system:discovery", options: .emptyObject)
        try await registry.seed()
        let restored = PolicyRule.rules(of: try await api.get(clusterRoles, namespace: nil, name: "system:basic-user"))
        #expect(restored.first == PolicyRule(json: extra), "what the user added stays")
        #expect(Set(restored) == Set(original + [PolicyRule(json: extra)]))
        #expect(try await api.get(bindings, namespace: nil, name: "system:discovery").name == "system:discovery")

        // autoupdate "false": the user's version stands.
        var pinned = try await api.get(clusterRoles, namespace: nil, name: "system:basic-user")
        pinned["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] = "false"
        pinned["rules"] = [extra]
        _ = try await api.update(clusterRoles, namespace: nil, object: pinned, subresource: nil, fieldManager: "t")
        try await registry.seed()
        #expect(
            PolicyRule.rules(of: try await api.get(clusterRoles, namespace: nil, name: "system:basic-user"))
                == [PolicyRule(json: extra)])
    }
}
