import SkiffModel
import Testing

@testable import SkiffControllers

/// An aggregated ClusterRole holds the rules of the roles its selectors match: selector by selector, role by role
/// in name order, each rule once, never its own.
@Suite struct ClusterRoleAggregationTests {
    static func role(_ name: String, labels: [String: String] = [:], verbs: [String], resource: String) -> JSON {
        var labelObject = JSONObject()
        for (key, value) in labels { labelObject[key] = .string(value) }
        return [
            "metadata": ["name": .string(name), "labels": .object(labelObject)],
            "rules": [
                [
                    "verbs": .array(verbs.map { .string($0) }), "apiGroups": [""],
                    "resources": .array([.string(resource)]),
                ]
            ],
        ]
    }

    @Test func rulesOfMatchingRolesAreGatheredOnceInNameOrder() {
        let view: JSON = [
            "metadata": ["name": "view", "labels": ["rbac.authorization.k8s.io/aggregate-to-edit": "true"]],
            "aggregationRule": [
                "clusterRoleSelectors": [["matchLabels": ["rbac.authorization.k8s.io/aggregate-to-view": "true"]]]
            ],
            "rules": [],
        ]
        let label = ["rbac.authorization.k8s.io/aggregate-to-view": "true"]
        let roles = [
            view,
            Self.role("z-widgets", labels: label, verbs: ["get"], resource: "widgets"),
            Self.role("a-pods", labels: label, verbs: ["get", "list"], resource: "pods"),
            Self.role("b-pods-again", labels: label, verbs: ["get", "list"], resource: "pods"),
            Self.role("unlabelled", verbs: ["delete"], resource: "nodes"),
        ]
        #expect(
            ClusterRoleAggregation.aggregatedRules(of: view, from: roles) == [
                PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["widgets"]),
            ])
        // A role that selects itself does not feed itself.
        var selfish = view
        selfish["aggregationRule"]["clusterRoleSelectors"] = [
            ["matchLabels": ["rbac.authorization.k8s.io/aggregate-to-edit": "true"]]
        ]
        selfish["rules"] = [["verbs": ["get"], "apiGroups": [""], "resources": ["stale"]]]
        #expect(ClusterRoleAggregation.aggregatedRules(of: selfish, from: [selfish] + roles.dropFirst()).isEmpty)
    }
}
