import SkiffModel

/// RBAC's escalation prevention (upstream's policy-based RBAC storage), as an admission step: a user creates or
/// changes a Role or ClusterRole only with every permission in it, or with `escalate` on it; a RoleBinding or
/// ClusterRoleBinding only with every permission of the role it refers to, or with `bind` on that role. Setting an
/// aggregation rule, which can gather anything, takes full authority. The server's own writes and `system:masters`
/// pass.
struct RBACEscalation: AdmissionStep {
    static let fullAuthority = [
        PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
        PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
    ]

    func admit(_ request: AdmissionRequest, registry: ObjectRegistry) async throws(APIError) {
        let type = request.type
        guard type.group == RBACStrategy.group, request.operation != .delete, request.subresource == nil,
            let user = request.user, !user.isAdmin, let object = request.object,
            let kind = RBACPolicy.Kind(resource: type.resource)
        else { return }
        let policy = registry.rbac.policy
        let namespace = type.namespaced ? request.namespace : nil
        func allowed(_ verb: String, _ resource: String, _ name: String) -> Bool {
            policy.allows(
                RequestAttributes(
                    user: user, verb: verb, group: RBACStrategy.group, resource: resource, namespace: namespace,
                    name: name))
        }
        func refuse(_ message: String) -> APIError {
            APIError(
                code: 403, reason: "Forbidden",
                message: "\(type.resource).\(type.group) \"\(request.name)\" is forbidden: \(message)",
                name: request.name, group: type.group, kind: type.resource)
        }
        let old = request.old
        switch kind {
        case .role, .clusterRole:
            if let old, old["rules"] == object["rules"], old["aggregationRule"] == object["aggregationRule"] { return }
            if allowed("escalate", type.resource, request.name) { return }
            let held = policy.rules(for: user, namespace: namespace)
            let missing = RuleCoverage.missing(owner: held, servant: PolicyRule.rules(of: object))
            if !missing.isEmpty { throw refuse(RuleCoverage.escalationMessage(user: user, missing: missing)) }
            let aggregates = !object["aggregationRule"].isNull || !(old?["aggregationRule"].isNull ?? true)
            if kind == .clusterRole, aggregates, !RuleCoverage.missing(owner: held, servant: Self.fullAuthority).isEmpty
            {
                throw refuse("must have cluster-admin privileges to use the aggregationRule")
            }
        case .roleBinding, .clusterRoleBinding:
            if let old, old["roleRef"] == object["roleRef"], old["subjects"] == object["subjects"] { return }
            let ref = object["roleRef"]
            let clusterRole = ref["kind"].stringValue == "ClusterRole"
            let roleName = ref["name"].stringValue ?? ""
            if allowed("bind", clusterRole ? "clusterroles" : "roles", roleName) { return }
            guard let rules = policy.rules(ofRole: roleName, clusterRole: clusterRole, namespace: namespace) else {
                let missing = clusterRole ? "clusterroles" : "roles"
                throw refuse("\(missing).\(RBACStrategy.group) \"\(roleName)\" not found")
            }
            let missing = RuleCoverage.missing(owner: policy.rules(for: user, namespace: namespace), servant: rules)
            if !missing.isEmpty { throw refuse(RuleCoverage.escalationMessage(user: user, missing: missing)) }
        }
    }
}
