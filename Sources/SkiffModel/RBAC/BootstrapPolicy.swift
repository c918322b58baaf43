/// The default RBAC objects that upstream kube-apiserver v1.32 creates (and reconciles) at every start, as data:
/// `plugin/pkg/auth/authorizer/rbac/bootstrappolicy` (policy.go, controller_policy.go, namespace_policy.go) with
/// v1.32's default feature gates.
///
/// Users and tools rely on these names and grants. The admin kubeconfig works through `cluster-admin` bound to
/// `system:masters`. `admin`, `edit` and `view` are meant to be granted in RoleBindings; they aggregate the
/// `system:aggregate-to-*` roles and any ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-*: "true"`
/// (a CRD's operator adds its kinds this way). Every client may read discovery, `/version` and the health endpoints
/// (`system:discovery`, `system:public-info-viewer`), and every user may ask what they may do
/// (`system:basic-user`, for `kubectl auth can-i`). The scheduler, the controller manager, kube-proxy and CoreDNS
/// work under their own user or ServiceAccount, and each controller of the controller manager works under its
/// ServiceAccount in kube-system, bound to its `system:controller:<name>` role. kube-system also holds the
/// leader-election Roles and the Role that lets aggregated API servers read `extension-apiserver-authentication`.
///
/// Each value is a complete object, as it would be POSTed: `apiVersion` `rbac.authorization.k8s.io/v1`, `kind`,
/// `metadata` with upstream's label `kubernetes.io/bootstrapping: rbac-defaults` and annotation
/// `rbac.authorization.kubernetes.io/autoupdate: "true"`, then rules, `aggregationRule`, subjects and `roleRef`.
/// Objects and rules keep upstream's order. Each rule's lists come sorted, as upstream's `RuleOrDie` sorts them.
/// Rules behind a feature gate that is off by default in v1.32 are left out, and so are roles behind one, such as
/// the Dynamic Resource Allocation, ClusterTrustBundle, ServiceCIDR and SELinux roles.
public enum BootstrapPolicy {
    /// Upstream's `ClusterRoles()` followed by its `ControllerRoles()` (every `system:controller:<name>` role).
    public static let clusterRoles: [JSON] = userFacingClusterRoles() + systemClusterRoles() + controllerClusterRoles()

    /// Upstream's `ClusterRoleBindings()` followed by `ControllerRoleBindings()`. Each controller role is bound to
    /// the ServiceAccount of the same name in kube-system.
    public static let clusterRoleBindings: [JSON] = systemClusterRoleBindings() + controllerClusterRoleBindings()

    /// Upstream's `NamespaceRoles()`, first kube-system's and then kube-public's.
    public static let roles: [JSON] = kubeSystemRoles() + kubePublicRoles()

    /// Upstream's `NamespaceRoleBindings()`, first kube-system's and then kube-public's.
    public static let roleBindings: [JSON] = kubeSystemRoleBindings() + kubePublicRoleBindings()
}

// The builders below mirror upstream's rbacv1helpers: `NewRule(...).Groups(...).Resources(...).RuleOrDie()`,
// `NewClusterBinding(...)` and `NewRoleBinding(...)`. The data files call them with upstream's own argument order.
extension BootstrapPolicy {
    static let apiVersion = "rbac.authorization.k8s.io/v1"
    static let apiGroup = "rbac.authorization.k8s.io"
    static let controllerRolePrefix = "system:controller:"
    static let aggregateLabelPrefix = "rbac.authorization.k8s.io/aggregate-to-"

    // Upstream's verb sets (policy.go).
    static let readVerbs: [String] = ["get", "list", "watch"]
    static let writeVerbs: [String] = ["create", "update", "patch", "delete", "deletecollection"]
    static let readWriteVerbs: [String] = readVerbs + writeVerbs
    static let readUpdateVerbs: [String] = ["get", "list", "watch", "update", "patch"]

    /// A resource rule; `names` restricts it to those objects. Every list is sorted, as `RuleOrDie` sorts it.
    static func rule(_ verbs: [String], _ groups: [String], _ resources: [String], names: [String] = []) -> JSON {
        var object = JSONObject()
        object["verbs"] = sortedStrings(verbs)
        object["apiGroups"] = sortedStrings(groups)
        object["resources"] = sortedStrings(resources)
        if !names.isEmpty {
            object["resourceNames"] = sortedStrings(names)
        }
        return .object(object)
    }

    /// A non-resource rule (paths such as `/healthz`, or prefixes ending in `*`).
    static func urlRule(_ verbs: [String], _ urls: [String]) -> JSON {
        var object = JSONObject()
        object["verbs"] = sortedStrings(verbs)
        object["nonResourceURLs"] = sortedStrings(urls)
        return .object(object)
    }

    /// Upstream's `eventsRule()`: write events in the core and `events.k8s.io` groups.
    static var eventsRule: JSON {
        rule(["create", "update", "patch"], ["", "events.k8s.io"], ["events"])
    }

    static func sortedStrings(_ values: [String]) -> JSON {
        .array(values.sorted().map { .string($0) })
    }

    /// `metadata` with upstream's label and annotation; `labels` adds to the label. Keys come sorted, as Go writes
    /// a map.
    static func metadata(_ name: String, namespace: String? = nil, labels: [String: String] = [:]) -> JSON {
        var allLabels = labels
        allLabels["kubernetes.io/bootstrapping"] = "rbac-defaults"
        var labelObject = JSONObject()
        for key in allLabels.keys.sorted() {
            labelObject[key] = .string(allLabels[key] ?? "")
        }
        var object = JSONObject()
        object["name"] = .string(name)
        if let namespace {
            object["namespace"] = .string(namespace)
        }
        object["labels"] = .object(labelObject)
        object["annotations"] = ["rbac.authorization.kubernetes.io/autoupdate": "true"]
        return .object(object)
    }

    static func clusterRole(_ name: String, labels: [String: String] = [:], rules: [JSON]) -> JSON {
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = "ClusterRole"
        object["metadata"] = metadata(name, labels: labels)
        object["rules"] = .array(rules)
        return .object(object)
    }

    /// A role whose rules the aggregation controller fills from the ClusterRoles labelled
    /// `rbac.authorization.k8s.io/aggregate-to-<selecting>: "true"`; `aggregatedInto` labels it for aggregation in
    /// turn (`edit` into `admin`, `view` into `edit`).
    static func aggregatedClusterRole(_ name: String, selecting: String, aggregatedInto: String? = nil) -> JSON {
        var labels: [String: String] = [:]
        if let aggregatedInto {
            labels[aggregateLabelPrefix + aggregatedInto] = "true"
        }
        var matchLabels = JSONObject()
        matchLabels[aggregateLabelPrefix + selecting] = "true"
        let selector: JSON = ["matchLabels": .object(matchLabels)]
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = "ClusterRole"
        object["metadata"] = metadata(name, labels: labels)
        object["rules"] = .emptyArray
        object["aggregationRule"] = ["clusterRoleSelectors": [selector]]
        return .object(object)
    }

    /// A `system:controller:<name>` role.
    static func controllerRole(_ name: String, _ rules: [JSON]) -> JSON {
        clusterRole(controllerRolePrefix + name, rules: rules)
    }

    static func role(_ name: String, namespace: String, rules: [JSON]) -> JSON {
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = "Role"
        object["metadata"] = metadata(name, namespace: namespace)
        object["rules"] = .array(rules)
        return .object(object)
    }

    /// `NewClusterBinding(name)`: binds the ClusterRole of the same name. No subjects leaves `subjects` out.
    static func clusterRoleBinding(_ name: String, _ subjects: [JSON]) -> JSON {
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = "ClusterRoleBinding"
        object["metadata"] = metadata(name)
        if !subjects.isEmpty {
            object["subjects"] = .array(subjects)
        }
        object["roleRef"] = roleRef(kind: "ClusterRole", name: name)
        return .object(object)
    }

    /// `NewRoleBinding(role, namespace)`, named `name` (which differs from the role's only once upstream).
    static func roleBinding(_ name: String, namespace: String, role: String? = nil, _ subjects: [JSON]) -> JSON {
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = "RoleBinding"
        object["metadata"] = metadata(name, namespace: namespace)
        object["subjects"] = .array(subjects)
        object["roleRef"] = roleRef(kind: "Role", name: role ?? name)
        return .object(object)
    }

    static func roleRef(kind: String, name: String) -> JSON {
        var object = JSONObject()
        object["apiGroup"] = .string(apiGroup)
        object["kind"] = .string(kind)
        object["name"] = .string(name)
        return .object(object)
    }

    static func group(_ name: String) -> JSON {
        var object = JSONObject()
        object["kind"] = "Group"
        object["apiGroup"] = .string(apiGroup)
        object["name"] = .string(name)
        return .object(object)
    }

    static func user(_ name: String) -> JSON {
        var object = JSONObject()
        object["kind"] = "User"
        object["apiGroup"] = .string(apiGroup)
        object["name"] = .string(name)
        return .object(object)
    }

    /// A ServiceAccount subject (no `apiGroup`, as upstream writes it).
    static func serviceAccount(_ name: String, namespace: String = "kube-system") -> JSON {
        var object = JSONObject()
        object["kind"] = "ServiceAccount"
        object["name"] = .string(name)
        object["namespace"] = .string(namespace)
        return .object(object)
    }
}
