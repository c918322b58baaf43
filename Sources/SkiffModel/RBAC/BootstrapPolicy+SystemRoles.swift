// The rest of upstream's ClusterRoles() (policy.go): the roles of nodes, control-plane components, add-ons and
// certificate approval, from system:heapster to system:kube-scheduler.
extension BootstrapPolicy {
    static func systemClusterRoles() -> [JSON] {
        nodeAndDelegationRoles() + controlPlaneRoles() + certificateRoles() + componentRoles()
    }

    static func nodeAndDelegationRoles() -> [JSON] {
        let roles: [JSON] = [
            // heapster's connections back to the API server.
            clusterRole(
                "system:heapster",
                rules: [
                    rule(readVerbs, [""], ["events", "pods", "nodes", "namespaces"]),
                    rule(readVerbs, ["extensions"], ["deployments"]),
                ]),
            // What a kubelet needs to run its pods (the Node authorizer and NodeRestriction narrow it further).
            clusterRole("system:node", rules: nodeRules() + nodeStorageRules()),
            // node-problem-detector; not bound by default since where it runs varies.
            clusterRole(
                "system:node-problem-detector",
                rules: [rule(["get"], [""], ["nodes"]), rule(["patch"], [""], ["nodes/status"]), eventsRule]),
            // Bootstrapping a node's client certificate.
            clusterRole(
                "system:node-bootstrapper",
                rules: [
                    rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"])
                ]
            ),
            // Delegated authentication and authorization (these creates mutate nothing).
            clusterRole(
                "system:auth-delegator",
                rules: [
                    rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                    rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
                ]),
            // The API registry, summarization and proxying: it must see whether the services it points at exist.
            clusterRole("system:kube-aggregator", rules: [rule(readVerbs, [""], ["services", "endpoints"])]),
        ]
        return roles
    }

    /// Upstream's `NodeRules()`; DynamicResourceAllocation and ClusterTrustBundle (off in v1.32) would add rules.
    static func nodeRules() -> [JSON] {
        let rules: [JSON] = [
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews", "localsubjectaccessreviews"]),
            // The service lister, for the service environment variables of pods.
            rule(readVerbs, [""], ["services"]),
            rule(["create", "get", "list", "watch"], [""], ["nodes"]),
            rule(["update", "patch"], [""], ["nodes/status"]),
            rule(["update", "patch"], [""], ["nodes"]),
            rule(["create", "update", "patch"], [""], ["events"]),
            rule(readVerbs, [""], ["pods"]),
            // Mirror pods.
            rule(["create", "delete"], [""], ["pods"]),
            rule(["update", "patch"], [""], ["pods/status"]),
            rule(["create"], [""], ["pods/eviction"]),
            rule(["get", "list", "watch"], [""], ["secrets", "configmaps"]),
            rule(["get"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
            rule(["get"], [""], ["endpoints"]),
            // Client certificate rotation.
            rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
            rule(["get", "create", "update", "patch", "delete"], ["coordination.k8s.io"], ["leases"]),
            rule(["get"], ["storage.k8s.io"], ["volumeattachments"]),
            rule(["create"], [""], ["serviceaccounts/token"]),
        ]
        return rules
    }

    static func nodeStorageRules() -> [JSON] {
        let rules: [JSON] = [
            rule(["get", "update", "patch"], [""], ["persistentvolumeclaims/status"]),
            rule(["get", "watch", "list"], ["storage.k8s.io"], ["csidrivers"]),
            rule(["get", "create", "update", "patch", "delete"], ["storage.k8s.io"], ["csinodes"]),
            rule(["get", "list", "watch"], ["node.k8s.io"], ["runtimeclasses"]),
        ]
        return rules
    }

    static func controlPlaneRoles() -> [JSON] {
        let roles: [JSON] = [
            // Bootstraps the controller manager: its shared informers, and the service accounts and secrets that
            // give each controller its own identity.
            clusterRole("system:kube-controller-manager", rules: kubeControllerManagerRules()),
            clusterRole("system:kube-dns", rules: [rule(["list", "watch"], [""], ["endpoints", "services"])]),
            // An external (out-of-tree) persistent volume provisioner.
            clusterRole(
                "system:persistent-volume-provisioner",
                rules: [
                    rule(["get", "list", "watch", "create", "delete"], [""], ["persistentvolumes"]),
                    // update, to set lock annotations on claims.
                    rule(["get", "list", "watch", "update"], [""], ["persistentvolumeclaims"]),
                    rule(readVerbs, ["storage.k8s.io"], ["storageclasses"]),
                    // Watching provisioning success and failure events.
                    rule(["watch"], [""], ["events"]),
                    eventsRule,
                ]),
        ]
        return roles
    }

    static func kubeControllerManagerRules() -> [JSON] {
        let rules: [JSON] = [
            eventsRule,
            // Leader election.
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update"], ["coordination.k8s.io"], ["leases"], names: ["kube-controller-manager"]),
            rule(["create"], [""], ["secrets", "serviceaccounts"]),
            rule(["delete"], [""], ["secrets"]),
            rule(["get"], [""], ["namespaces", "secrets", "serviceaccounts", "configmaps"]),
            rule(["update"], [""], ["secrets", "serviceaccounts"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            // Every shared informer.
            rule(["list", "watch"], ["*"], ["*"]),
            rule(["create"], [""], ["serviceaccounts/token"]),
        ]
        return rules
    }

    /// The CSR approval roles, and system:volume-scheduler between them as upstream lists it.
    static func certificateRoles() -> [JSON] {
        let group = "certificates.k8s.io"
        let roles: [JSON] = [
            // Lets the csrapprover controller approve a node client CSR.
            clusterRole(
                "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                rules: [rule(["create"], [group], ["certificatesigningrequests/nodeclient"])]),
            // Likewise for a node client CSR the node asks for itself.
            clusterRole(
                "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                rules: [rule(["create"], [group], ["certificatesigningrequests/selfnodeclient"])]),
            clusterRole(
                "system:volume-scheduler",
                rules: [
                    rule(readUpdateVerbs, [""], ["persistentvolumes"]),
                    rule(readVerbs, ["storage.k8s.io"], ["storageclasses"]),
                    rule(readUpdateVerbs, [""], ["persistentvolumeclaims"]),
                ]),
            signerApprover("legacy-unknown"),
            signerApprover("kubelet-serving"),
            signerApprover("kube-apiserver-client"),
            signerApprover("kube-apiserver-client-kubelet"),
        ]
        return roles
    }

    /// `system:certificates.k8s.io:<signer>-approver`: approve CSRs for the signer `kubernetes.io/<signer>`.
    static func signerApprover(_ signer: String) -> JSON {
        clusterRole(
            "system:certificates.k8s.io:\(signer)-approver",
            rules: [rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/\(signer)"])])
    }

    static func componentRoles() -> [JSON] {
        let roles: [JSON] = [
            // The ServiceAccount issuer's discovery documents; slash-ended forms for clients generated from older
            // OpenAPI documents.
            clusterRole(
                "system:service-account-issuer-discovery",
                rules: [
                    urlRule(
                        ["get"],
                        [
                            "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                            "/openid/v1/jwks", "/openid/v1/jwks/",
                        ])
                ]),
            // Full access to the kubelet API (KubeletFineGrainedAuthz, off in v1.32, would add nodes/pods and more).
            clusterRole(
                "system:kubelet-api-admin",
                rules: [
                    rule(["get", "list", "watch"], [""], ["nodes"]),
                    rule(["proxy"], [""], ["nodes"]),
                    rule(["*"], [""], ["nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"]),
                ]),
            // kube-proxy (MultiCIDRServiceAllocator, off in v1.32, would add servicecidrs).
            clusterRole(
                "system:node-proxier",
                rules: [
                    rule(["list", "watch"], [""], ["services", "endpoints"]),
                    rule(["get", "list", "watch"], [""], ["nodes"]),
                    eventsRule,
                    rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
                ]),
            clusterRole("system:kube-scheduler", rules: kubeSchedulerRules()),
        ]
        return roles
    }

    /// DynamicResourceAllocation (beta but off in v1.32) would add the resource.k8s.io rules.
    static func kubeSchedulerRules() -> [JSON] {
        let rules: [JSON] = [
            eventsRule,
            // Leader election.
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update", "list", "watch"], ["coordination.k8s.io"], ["leases"], names: ["kube-scheduler"]),
            rule(readWriteVerbs, ["coordination.k8s.io"], ["leasecandidates"]),
            rule(readVerbs, [""], ["nodes"]),
            rule(["get", "list", "watch", "delete"], [""], ["pods"]),
            rule(["create"], [""], ["pods/binding", "bindings"]),
            rule(["patch", "update"], [""], ["pods/status"]),
            // What selects pods.
            rule(readVerbs, [""], ["services", "replicationcontrollers"]),
            rule(readVerbs, ["apps", "extensions"], ["replicasets"]),
            rule(readVerbs, ["apps"], ["statefulsets"]),
            // What pods use or what applies to them.
            rule(readVerbs, ["policy"], ["poddisruptionbudgets"]),
            rule(readVerbs, [""], ["persistentvolumeclaims", "persistentvolumes"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            // Volume limits.
            rule(readVerbs, ["storage.k8s.io"], ["csinodes"]),
            rule(["get", "list", "watch"], ["storage.k8s.io"], ["volumeattachments"]),
            // The namespaceSelector of pod affinity.
            rule(readVerbs, [""], ["namespaces"]),
            rule(readVerbs, ["storage.k8s.io"], ["csidrivers"]),
            rule(readVerbs, ["storage.k8s.io"], ["csistoragecapacities"]),
        ]
        return rules
    }
}
