// The first part of upstream's ClusterRoles() (policy.go): cluster-admin, discovery, monitoring, basic-user,
// public-info-viewer, and the aggregated admin/edit/view roles with the system:aggregate-to-* roles that fill them.
extension BootstrapPolicy {
    static func userFacingClusterRoles() -> [JSON] {
        let roles: [JSON] = [
            // A "root" role which can do absolutely anything.
            clusterRole("cluster-admin", rules: [rule(["*"], ["*"], ["*"]), urlRule(["*"], ["*"])]),
            // Just enough to tell whether the server is ready and to discover API versions for negotiation.
            clusterRole("system:discovery", rules: [discoveryRule]),
            // Read access to the monitoring endpoints (/metrics, and the health checks one by one).
            clusterRole("system:monitoring", rules: [monitoringRule]),
            // Lets a user learn what they themselves may do and who they are.
            clusterRole("system:basic-user", rules: basicUserRules),
            // Insensitive cluster information, readable even without authentication.
            clusterRole("system:public-info-viewer", rules: [publicInfoRule]),
        ]
        return roles + aggregatedClusterRoles()
    }

    static var discoveryRule: JSON {
        urlRule(
            ["get"],
            [
                "/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*",
                "/apis", "/apis/*",
            ])
    }

    /// `/flagz` and `/statusz` join it behind the ComponentFlagz and ComponentStatusz gates (alpha, off in v1.32).
    static var monitoringRule: JSON {
        urlRule(
            ["get"],
            ["/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"])
    }

    static var basicUserRules: [JSON] {
        [
            rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
        ]
    }

    static var publicInfoRule: JSON {
        urlRule(["get"], ["/livez", "/readyz", "/healthz", "/version", "/version/"])
    }

    /// `admin` is `edit` plus granting roles; `edit` is every user-level action in a namespace except the
    /// "privileged" `/status` subresources and quota or limits; `view` reads what does not escalate.
    static func aggregatedClusterRoles() -> [JSON] {
        let roles: [JSON] = [
            aggregatedClusterRole("admin", selecting: "admin"),
            aggregatedClusterRole("edit", selecting: "edit", aggregatedInto: "admin"),
            aggregatedClusterRole("view", selecting: "view", aggregatedInto: "edit"),
            clusterRole(
                "system:aggregate-to-admin", labels: [aggregateLabelPrefix + "admin": "true"],
                rules: aggregateToAdminRules),
            clusterRole(
                "system:aggregate-to-edit", labels: [aggregateLabelPrefix + "edit": "true"],
                rules: aggregateToEditCoreRules() + aggregateToEditGroupRules()),
            clusterRole(
                "system:aggregate-to-view", labels: [aggregateLabelPrefix + "view": "true"],
                rules: aggregateToViewCoreRules() + aggregateToViewGroupRules()),
        ]
        return roles
    }

    static var aggregateToAdminRules: [JSON] {
        [
            rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            rule(readWriteVerbs, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
        ]
    }

    static func aggregateToEditCoreRules() -> [JSON] {
        let podParts: [String] = ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]
        let rules: [JSON] = [
            // Read on escalating resources.
            rule(readVerbs, [""], podParts + ["secrets", "services/proxy"]),
            rule(["impersonate"], [""], ["serviceaccounts"]),
            rule(writeVerbs, [""], ["pods"] + podParts),
            rule(["create"], [""], ["pods/eviction"]),
            rule(
                writeVerbs, [""],
                [
                    "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                    "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events",
                ]),
            rule(["create"], [""], ["serviceaccounts/token"]),
        ]
        return rules
    }

    static func aggregateToEditGroupRules() -> [JSON] {
        let rules: [JSON] = [
            rule(
                writeVerbs, ["apps"],
                [
                    "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                    "deployments/rollback", "replicasets", "replicasets/scale",
                ]),
            rule(writeVerbs, ["autoscaling"], ["horizontalpodautoscalers"]),
            rule(writeVerbs, ["batch"], ["jobs", "cronjobs"]),
            rule(
                writeVerbs, ["extensions"],
                [
                    "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
                    "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies",
                ]),
            rule(writeVerbs, ["policy"], ["poddisruptionbudgets"]),
            rule(writeVerbs, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
            rule(readWriteVerbs, ["coordination.k8s.io"], ["leases"]),
        ]
        return rules
    }

    static func aggregateToViewCoreRules() -> [JSON] {
        let rules: [JSON] = [
            rule(
                readVerbs, [""],
                [
                    "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                    "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                    "configmaps",
                ]),
            rule(
                readVerbs, [""],
                [
                    "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
                    "namespaces/status", "replicationcontrollers/status", "pods/log",
                ]),
            // Reading namespaces at namespace scope reads *this* namespace: it tells which namespaces one can see.
            rule(readVerbs, [""], ["namespaces"]),
            rule(readVerbs, ["discovery.k8s.io"], ["endpointslices"]),
        ]
        return rules
    }

    static func aggregateToViewGroupRules() -> [JSON] {
        let rules: [JSON] = [
            rule(
                readVerbs, ["apps"],
                [
                    "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
                    "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets",
                    "replicasets/status", "replicasets/scale",
                ]),
            rule(readVerbs, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            rule(readVerbs, ["batch"], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
            rule(
                readVerbs, ["extensions"],
                [
                    "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                    "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
                    "replicationcontrollers/scale", "networkpolicies",
                ]),
            rule(readVerbs, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            rule(readVerbs, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]),
        ]
        return rules
    }
}
