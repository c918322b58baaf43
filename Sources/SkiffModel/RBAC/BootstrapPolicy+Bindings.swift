// Upstream's ClusterRoleBindings() and ControllerRoleBindings() (policy.go, controller_policy.go), and the Roles
// and RoleBindings of kube-system and kube-public (namespace_policy.go).
extension BootstrapPolicy {
    static func systemClusterRoleBindings() -> [JSON] {
        let bindings: [JSON] = [
            clusterRoleBinding("cluster-admin", [group("system:masters")]),
            clusterRoleBinding("system:monitoring", [group("system:monitoring")]),
            clusterRoleBinding("system:discovery", [group("system:authenticated")]),
            clusterRoleBinding("system:basic-user", [group("system:authenticated")]),
            clusterRoleBinding(
                "system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]),
            clusterRoleBinding("system:node-proxier", [user("system:kube-proxy")]),
            clusterRoleBinding("system:kube-controller-manager", [user("system:kube-controller-manager")]),
            clusterRoleBinding("system:kube-dns", [serviceAccount("kube-dns")]),
            clusterRoleBinding("system:kube-scheduler", [user("system:kube-scheduler")]),
            clusterRoleBinding("system:volume-scheduler", [user("system:kube-scheduler")]),
            // Binding system:node to the system:nodes group was deprecated in 1.7 for the Node authorizer: the
            // binding stays, with no subjects, so that reconciliation removes the old subject.
            clusterRoleBinding("system:node", []),
            // Every in-cluster workload may read the OIDC discovery documents of the ServiceAccount issuer.
            clusterRoleBinding("system:service-account-issuer-discovery", [group("system:serviceaccounts")]),
        ]
        return bindings
    }

    /// Each `system:controller:<name>` role bound to the ServiceAccount `<name>` in kube-system.
    static func controllerClusterRoleBindings() -> [JSON] {
        controllerClusterRoles().compactMap { role in
            guard let name = role["metadata"]["name"].stringValue, name.hasPrefix(controllerRolePrefix) else {
                return nil
            }
            return clusterRoleBinding(name, [serviceAccount(String(name.dropFirst(controllerRolePrefix.count)))])
        }
    }

    static func kubeSystemRoles() -> [JSON] {
        let namespace = "kube-system"
        let leaseVerbs: [String] = ["get", "watch", "list", "create", "update"]
        let roles: [JSON] = [
            // Finding the authentication configuration an (aggregated) API server starts with.
            role(
                "extension-apiserver-authentication-reader", namespace: namespace,
                rules: [rule(readVerbs, [""], ["configmaps"], names: ["extension-apiserver-authentication"])]),
            // The bootstrap signer inspects kube-system's secrets.
            role(
                controllerRolePrefix + "bootstrap-signer", namespace: namespace,
                rules: [rule(readVerbs, [""], ["secrets"])]),
            // Cloud providers' configmaps; deprecated since 1.10.
            role(
                controllerRolePrefix + "cloud-provider", namespace: namespace,
                rules: [rule(["create", "get", "list", "watch"], [""], ["configmaps"])]),
            // The token cleaner removes expired bootstrap token secrets, in kube-system only.
            role(
                controllerRolePrefix + "token-cleaner", namespace: namespace,
                rules: [rule(["get", "list", "watch", "delete"], [""], ["secrets"]), eventsRule]),
            leaderLockingRole("kube-controller-manager", leaseVerbs: leaseVerbs),
            leaderLockingRole("kube-scheduler", leaseVerbs: leaseVerbs),
        ]
        return roles
    }

    /// `system::leader-locking-<component>`: leader election on its configmap, leases and lease candidates.
    static func leaderLockingRole(_ component: String, leaseVerbs: [String]) -> JSON {
        role(
            "system::leader-locking-\(component)", namespace: "kube-system",
            rules: [
                rule(["watch"], [""], ["configmaps"]),
                rule(["get", "update"], [""], ["configmaps"], names: [component]),
                rule(leaseVerbs, ["coordination.k8s.io"], ["leases"]),
                rule(leaseVerbs, ["coordination.k8s.io"], ["leasecandidates"]),
            ])
    }

    static func kubeSystemRoleBindings() -> [JSON] {
        let namespace = "kube-system"
        let bindings: [JSON] = [
            roleBinding(
                "system::extension-apiserver-authentication-reader", namespace: namespace,
                role: "extension-apiserver-authentication-reader",
                [user("system:kube-controller-manager"), user("system:kube-scheduler")]),
            roleBinding(
                "system::leader-locking-kube-controller-manager", namespace: namespace,
                [
                    user("system:kube-controller-manager"), serviceAccount("kube-controller-manager"),
                    serviceAccount("leader-election-controller"),
                ]),
            roleBinding(
                "system::leader-locking-kube-scheduler", namespace: namespace,
                [user("system:kube-scheduler"), serviceAccount("kube-scheduler")]),
            roleBinding(
                controllerRolePrefix + "bootstrap-signer", namespace: namespace, [serviceAccount("bootstrap-signer")]),
            roleBinding(
                controllerRolePrefix + "cloud-provider", namespace: namespace, [serviceAccount("cloud-provider")]),
            roleBinding(
                controllerRolePrefix + "token-cleaner", namespace: namespace, [serviceAccount("token-cleaner")]),
        ]
        return bindings
    }

    /// The bootstrap signer writes the `cluster-info` configmap that joining nodes read.
    static func kubePublicRoles() -> [JSON] {
        let rules: [JSON] = [
            rule(readVerbs, [""], ["configmaps"]),
            rule(["update"], [""], ["configmaps"], names: ["cluster-info"]),
            eventsRule,
        ]
        return [role(controllerRolePrefix + "bootstrap-signer", namespace: "kube-public", rules: rules)]
    }

    static func kubePublicRoleBindings() -> [JSON] {
        [
            roleBinding(
                controllerRolePrefix + "bootstrap-signer", namespace: "kube-public",
                [serviceAccount("bootstrap-signer")])
        ]
    }
}
