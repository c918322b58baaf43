import Testing

@testable import SkiffModel

/// RBAC decisions with upstream's matching rules: verbs, groups, resources with subresources and `*/scale`,
/// resource names, non-resource URL prefixes; bindings by user, group and ServiceAccount, confined to their
/// namespace; bindings that follow role and binding changes.
@Suite struct RBACPolicyTests {
    static let alice = UserInfo(name: "alice", groups: ["devs", UserInfo.authenticatedGroup])

    static func ask(
        _ verb: String, _ resource: String, group: String = "", sub: String? = nil, namespace: String? = "a",
        name: String? = nil, user: UserInfo = alice
    ) -> RequestAttributes {
        RequestAttributes(
            user: user, verb: verb, group: group, resource: resource, subresource: sub, namespace: namespace, name: name
        )
    }

    static func role(_ name: String, namespace: String? = nil, _ rules: [JSON]) -> JSON {
        var metadata: JSON = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return ["metadata": metadata, "rules": .array(rules)]
    }

    static func binding(
        _ name: String, namespace: String? = nil, role: String, kind: String = "ClusterRole", subjects: [JSON]
    ) -> JSON {
        var metadata: JSON = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return [
            "metadata": metadata,
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(kind), "name": .string(role)],
            "subjects": .array(subjects),
        ]
    }

    @Test func rulesMatchAsUpstreamsRuleAllows() {
        let rule = PolicyRule(
            verbs: ["get", "list"], apiGroups: ["", "apps"], resources: ["pods", "deployments/scale"])
        #expect(rule.allows(Self.ask("get", "pods")))
        #expect(!rule.allows(Self.ask("delete", "pods")))
        #expect(!rule.allows(Self.ask("get", "pods", sub: "log")), "pods does not cover pods/log")
        #expect(rule.allows(Self.ask("get", "deployments", group: "apps", sub: "scale")))
        #expect(!rule.allows(Self.ask("get", "deployments", group: "apps")), "deployments/scale is not deployments")
        #expect(!rule.allows(Self.ask("get", "pods", group: "batch")))
        let anyScale = PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*/scale"])
        #expect(anyScale.allows(Self.ask("update", "statefulsets", group: "apps", sub: "scale")))
        #expect(!anyScale.allows(Self.ask("update", "statefulsets", group: "apps")))
        let named = PolicyRule(
            verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["cfg"])
        #expect(named.allows(Self.ask("get", "configmaps", name: "cfg")))
        #expect(!named.allows(Self.ask("get", "configmaps", name: "other")))
        #expect(!named.allows(Self.ask("list", "configmaps")), "a list names no object")
        let urls = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/api/*"])
        #expect(urls.allows(.nonResource(user: Self.alice, verb: "get", path: "/healthz")))
        #expect(urls.allows(.nonResource(user: Self.alice, verb: "get", path: "/api/v1")))
        #expect(!urls.allows(.nonResource(user: Self.alice, verb: "get", path: "/healthz/etcd")))
        #expect(!urls.allows(.nonResource(user: Self.alice, verb: "post", path: "/healthz")))
        #expect(!urls.allows(Self.ask("get", "pods")), "URL rules grant no resources")
        #expect(!rule.allows(.nonResource(user: Self.alice, verb: "get", path: "/pods")))
    }

    @Test func bindingsGrantTheirSubjectsTheRolesRulesWhereTheyHold() {
        var policy = RBACPolicy()
        policy.apply(
            .clusterRole,
            object: Self.role("reader", [["verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]]]),
            deleted: false)
        policy.apply(
            .role,
            object: Self.role(
                "cm", namespace: "b", [["verbs": ["*"], "apiGroups": [""], "resources": ["configmaps"]]]),
            deleted: false)
        #expect(!policy.allows(Self.ask("list", "pods")))
        // A RoleBinding to a ClusterRole grants it in its namespace only.
        policy.apply(
            .roleBinding,
            object: Self.binding("r", namespace: "a", role: "reader", subjects: [["kind": "User", "name": "alice"]]),
            deleted: false)
        #expect(policy.allows(Self.ask("list", "pods")))
        #expect(!policy.allows(Self.ask("list", "pods", namespace: "b")))
        #expect(!policy.allows(Self.ask("list", "pods", namespace: nil)))
        // A group binding, to a Role of the binding's namespace.
        policy.apply(
            .roleBinding,
            object: Self.binding(
                "g", namespace: "b", role: "cm", kind: "Role", subjects: [["kind": "Group", "name": "devs"]]),
            deleted: false)
        #expect(policy.allows(Self.ask("delete", "configmaps", namespace: "b")))
        #expect(
            !policy.allows(Self.ask("delete", "configmaps", namespace: "b", user: UserInfo(name: "alice", groups: []))))
        // A ServiceAccount subject is its user; a namespace-less one takes the binding's namespace.
        policy.apply(
            .clusterRoleBinding,
            object: Self.binding(
                "sa", role: "reader", subjects: [["kind": "ServiceAccount", "name": "bot", "namespace": "ci"]]),
            deleted: false)
        let bot = UserInfo.serviceAccount(namespace: "ci", name: "bot")
        #expect(policy.allows(Self.ask("get", "pods", namespace: "anywhere", user: bot)))
        #expect(policy.allows(Self.ask("get", "pods", namespace: nil, user: bot)))
        policy.apply(
            .roleBinding,
            object: Self.binding(
                "local", namespace: "b", role: "cm", kind: "Role",
                subjects: [["kind": "ServiceAccount", "name": "app"]]),
            deleted: false)
        #expect(
            policy.allows(
                Self.ask("get", "configmaps", namespace: "b", user: .serviceAccount(namespace: "b", name: "app"))))
        // Changing a binding's subjects moves the grant; deleting it or its role takes it away.
        policy.apply(
            .roleBinding,
            object: Self.binding("r", namespace: "a", role: "reader", subjects: [["kind": "User", "name": "bob"]]),
            deleted: false)
        #expect(!policy.allows(Self.ask("list", "pods")))
        #expect(policy.allows(Self.ask("list", "pods", user: UserInfo(name: "bob", groups: []))))
        policy.apply(.clusterRole, object: Self.role("reader", []), deleted: true)
        #expect(
            !policy.allows(Self.ask("get", "pods", namespace: nil, user: bot)),
            "a binding to a missing role grants nothing")
        #expect(policy.allows(Self.ask("delete", "configmaps", namespace: "b")), "other grants are untouched")
        policy.apply(
            .roleBinding, object: Self.binding("g", namespace: "b", role: "cm", kind: "Role", subjects: []),
            deleted: true)
        #expect(!policy.allows(Self.ask("delete", "configmaps", namespace: "b")))
    }

    @Test func rulesForAUserGatherEveryBindingThatNamesThemOrTheirGroups() {
        var policy = RBACPolicy()
        policy.apply(
            .clusterRole, object: Self.role("a", [["verbs": ["get"], "apiGroups": [""], "resources": ["pods"]]]),
            deleted: false)
        policy.apply(
            .clusterRole, object: Self.role("b", [["verbs": ["get"], "nonResourceURLs": ["/version"]]]), deleted: false)
        policy.apply(
            .roleBinding,
            object: Self.binding("x", namespace: "a", role: "a", subjects: [["kind": "User", "name": "alice"]]),
            deleted: false)
        policy.apply(
            .clusterRoleBinding,
            object: Self.binding(
                "y", role: "b", subjects: [["kind": "Group", "name": .string(UserInfo.authenticatedGroup)]]),
            deleted: false)
        #expect(
            policy.rules(for: Self.alice, namespace: "a")
                == [
                    PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]),
                    PolicyRule(verbs: ["get"], nonResourceURLs: ["/version"]),
                ])
        #expect(
            policy.rules(for: Self.alice, namespace: "b") == [PolicyRule(verbs: ["get"], nonResourceURLs: ["/version"])]
        )
    }

    @Test func coverageFindsWhatTheOwnerDoesNotHold() {
        let owner = [
            PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "*/status"]),
            PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["deployments"]),
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs/*"]),
        ]
        #expect(
            RuleCoverage.missing(
                owner: owner,
                servant: [
                    PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods", "pods/status"]),
                    PolicyRule(verbs: ["delete", "patch"], apiGroups: ["apps"], resources: ["deployments"]),
                    PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs/kubelet"]),
                ]
            ).isEmpty)
        let missing = RuleCoverage.missing(
            owner: owner,
            servant: [
                PolicyRule(verbs: ["get", "delete", "watch"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["db"]),
                PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics"]),
            ])
        #expect(
            missing == [
                PolicyRule(verbs: ["delete", "watch"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["db"]),
                PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics"]),
            ])
        #expect(
            RuleCoverage.escalationMessage(user: Self.alice, missing: missing)
                == """
                user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
                {APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]}
                {APIGroups:[""], Resources:["secrets"], ResourceNames:["db"], Verbs:["get"]}
                {NonResourceURLs:["/metrics"], Verbs:["get"]}
                """)
        // A rule naming objects is not covered by one that names others, and covers nothing unnamed.
        let named = [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"])]
        #expect(
            !RuleCoverage.missing(
                owner: named, servant: [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"])]
            ).isEmpty)
    }

    @Test func malformedRolesAndBindingsAreInvalid() throws {
        let roles = ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", resource: "clusterroles",
            namespaced: false)
        let strategy = RBACStrategy(.clusterRole)
        try strategy.validate(
            Self.role(
                "ok",
                [
                    ["verbs": ["get"], "nonResourceURLs": ["/healthz"]],
                    ["verbs": ["get"], "apiGroups": [""], "resources": ["pods"]],
                ]),
            type: roles)
        #expect(throws: APIError.self) {
            try strategy.validate(Self.role("x", [["verbs": ["get"], "resources": ["pods"]]]), type: roles)
        }
        do throws(APIError) {
            try strategy.validate(
                ["metadata": ["name": "agg"], "aggregationRule": ["clusterRoleSelectors": []]], type: roles)
            Issue.record("an empty aggregation rule was accepted")
        } catch {
            #expect(error.causes.map(\.field) == ["aggregationRule.clusterRoleSelectors"])
        }
        try strategy.validateName("system:controller:x", type: roles)
        var binding = Self.binding("b", role: "view", subjects: [["kind": "User", "name": "alice"]])
        binding["roleRef"]["apiGroup"] = nil
        let bindings = RBACStrategy(.clusterRoleBinding)
        bindings.applyDefaults(&binding)
        #expect(binding["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io")
        #expect(binding["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io")
        var changed = binding
        changed["roleRef"]["name"] = "admin"
        let type = ResourceType(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding",
            resource: "clusterrolebindings",
            namespaced: false)
        do throws(APIError) {
            try bindings.validateUpdate(changed, old: binding, type: type)
            Issue.record("a changed roleRef was accepted")
        } catch {
            #expect(error.causes.first?.field == "roleRef")
            #expect(error.causes.first?.message.hasSuffix(": cannot change roleRef") == true)
        }
    }
}
