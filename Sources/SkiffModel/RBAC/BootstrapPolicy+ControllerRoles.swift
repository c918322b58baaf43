// Upstream's ControllerRoles() (controller_policy.go): one system:controller:<name> ClusterRole per controller of
// kube-controller-manager, in upstream's order. Roles behind gates that are off in v1.32 are left out:
// resource-claim-controller (DynamicResourceAllocation), service-cidrs-controller (MultiCIDRServiceAllocator),
// volumeattributesclass-protection-controller (VolumeAttributesClass),
// kube-apiserver-serving-clustertrustbundle-publisher (ClusterTrustBundle), storage-version-garbage-collector
// (StorageVersionAPI), storage-version-migrator-controller (StorageVersionMigrator) and selinux-warning-controller
// (SELinuxChangePolicy).
extension BootstrapPolicy {
    static func controllerClusterRoles() -> [JSON] {
        workloadControllerRoles() + endpointAndVolumeControllerRoles() + clusterControllerRoles()
            + replicationControllerRoles() + lifecycleControllerRoles()
    }

    static func workloadControllerRoles() -> [JSON] {
        let appsAndExtensions: [String] = ["extensions", "apps"]
        let roles: [JSON] = [
            controllerRole(
                "attachdetach-controller",
                [
                    rule(["list", "watch"], [""], ["persistentvolumes", "persistentvolumeclaims"]),
                    rule(["get", "list", "watch"], [""], ["nodes"]),
                    rule(["patch", "update"], [""], ["nodes/status"]),
                    rule(["list", "watch"], [""], ["pods"]),
                    eventsRule,
                    rule(["get", "create", "delete", "list", "watch"], ["storage.k8s.io"], ["volumeattachments"]),
                    rule(["get", "watch", "list"], ["storage.k8s.io"], ["csidrivers"]),
                    rule(["get", "watch", "list"], ["storage.k8s.io"], ["csinodes"]),
                ]),
            // Must have full power over clusterroles to mutate them in any way.
            controllerRole(
                "clusterrole-aggregation-controller",
                [
                    rule(
                        ["escalate", "get", "list", "watch", "update", "patch"], ["rbac.authorization.k8s.io"],
                        ["clusterroles"])
                ]
            ),
            controllerRole(
                "cronjob-controller",
                [
                    rule(["get", "list", "watch", "update"], ["batch"], ["cronjobs"]),
                    rule(["get", "list", "watch", "create", "update", "delete", "patch"], ["batch"], ["jobs"]),
                    rule(["update"], ["batch"], ["cronjobs/status"]),
                    rule(["update"], ["batch"], ["cronjobs/finalizers"]),
                    rule(["list", "watch", "delete"], [""], ["pods"]),
                    eventsRule,
                ]),
            controllerRole(
                "daemon-set-controller",
                [
                    rule(readVerbs, appsAndExtensions, ["daemonsets"]),
                    rule(["update"], appsAndExtensions, ["daemonsets/status"]),
                    rule(["update"], appsAndExtensions, ["daemonsets/finalizers"]),
                    rule(["list", "watch"], [""], ["nodes"]),
                    rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
                    rule(["create"], [""], ["pods/binding"]),
                    rule(
                        ["get", "list", "watch", "create", "delete", "update", "patch"], ["apps"],
                        ["controllerrevisions"]),
                    eventsRule,
                ]),
            controllerRole(
                "deployment-controller",
                [
                    rule(["get", "list", "watch", "update"], appsAndExtensions, ["deployments"]),
                    rule(["update"], appsAndExtensions, ["deployments/status"]),
                    rule(["update"], appsAndExtensions, ["deployments/finalizers"]),
                    rule(
                        ["get", "list", "watch", "create", "update", "patch", "delete"], appsAndExtensions,
                        ["replicasets"]),
                    // "update" stays until kubernetes/kubernetes#36897 is resolved.
                    rule(["get", "list", "watch", "update"], [""], ["pods"]),
                    eventsRule,
                ]),
            controllerRole(
                "disruption-controller",
                [
                    rule(readVerbs, appsAndExtensions, ["deployments"]),
                    rule(readVerbs, appsAndExtensions, ["replicasets"]),
                    rule(readVerbs, [""], ["replicationcontrollers"]),
                    rule(readVerbs, ["policy"], ["poddisruptionbudgets"]),
                    rule(readVerbs, ["apps"], ["statefulsets"]),
                    rule(["update"], ["policy"], ["poddisruptionbudgets/status"]),
                    rule(["patch", "update"], [""], ["pods/status"]),
                    rule(["get"], ["*"], ["*/scale"]),
                    eventsRule,
                ]),
        ]
        return roles
    }

    static func endpointAndVolumeControllerRoles() -> [JSON] {
        let endpointVerbs: [String] = ["get", "list", "watch", "create", "update", "delete"]
        let roles: [JSON] = [
            controllerRole(
                "endpoint-controller",
                [
                    rule(readVerbs, [""], ["services", "pods"]),
                    rule(endpointVerbs, [""], ["endpoints"]),
                    rule(["create"], [""], ["endpoints/restricted"]),
                    eventsRule,
                ]),
            // The finalizer updates let a slice owned by its service (or endpoints) block the owner's deletion.
            controllerRole(
                "endpointslice-controller",
                [
                    rule(readVerbs, [""], ["services", "pods", "nodes"]),
                    rule(["update"], [""], ["services/finalizers"]),
                    rule(endpointVerbs, ["discovery.k8s.io"], ["endpointslices"]),
                    eventsRule,
                ]),
            controllerRole(
                "endpointslicemirroring-controller",
                [
                    rule(readVerbs, [""], ["services", "endpoints"]),
                    rule(["update"], [""], ["services/finalizers"]),
                    rule(["update"], [""], ["endpoints/finalizers"]),
                    rule(endpointVerbs, ["discovery.k8s.io"], ["endpointslices"]),
                    eventsRule,
                ]),
            controllerRole(
                "expand-controller",
                [
                    rule(readUpdateVerbs, [""], ["persistentvolumes"]),
                    rule(["update", "patch"], [""], ["persistentvolumeclaims/status"]),
                    rule(readVerbs, [""], ["persistentvolumeclaims"]),
                    eventsRule,
                    // The portworx volume plugin.
                    rule(["get"], [""], ["services"]),
                ]),
            controllerRole(
                "ephemeral-volume-controller",
                [
                    rule(readVerbs, [""], ["pods"]),
                    rule(["update"], [""], ["pods/finalizers"]),
                    rule(["get", "list", "watch", "create"], [""], ["persistentvolumeclaims"]),
                    eventsRule,
                ]),
        ]
        return roles
    }

    static func clusterControllerRoles() -> [JSON] {
        let roles: [JSON] = [
            // Lists and watches, selective gets and updates against any resource.
            controllerRole(
                "generic-garbage-collector",
                [rule(["get", "list", "watch", "patch", "update", "delete"], ["*"], ["*"]), eventsRule]),
            controllerRole(
                "horizontal-pod-autoscaler",
                [
                    rule(readVerbs, ["autoscaling"], ["horizontalpodautoscalers"]),
                    rule(["update"], ["autoscaling"], ["horizontalpodautoscalers/status"]),
                    rule(["get", "update"], ["*"], ["*/scale"]),
                    rule(["list", "watch"], [""], ["pods"]),
                    // Resource, custom and external metrics.
                    rule(["list", "watch"], ["metrics.k8s.io"], ["pods"]),
                    rule(readVerbs, ["custom.metrics.k8s.io"], ["*"]),
                    rule(readVerbs, ["external.metrics.k8s.io"], ["*"]),
                    eventsRule,
                ]),
            controllerRole(
                "job-controller",
                [
                    rule(["get", "list", "watch", "update", "patch"], ["batch"], ["jobs"]),
                    rule(["update"], ["batch"], ["jobs/status"]),
                    rule(["update"], ["batch"], ["jobs/finalizers"]),
                    rule(["list", "watch", "create", "delete", "patch"], [""], ["pods"]),
                    eventsRule,
                ]),
            controllerRole(
                "namespace-controller",
                [
                    rule(["get", "list", "watch", "delete"], [""], ["namespaces"]),
                    rule(["update"], [""], ["namespaces/finalize", "namespaces/status"]),
                    rule(["get", "list", "watch", "delete", "deletecollection"], ["*"], ["*"]),
                ]),
            controllerRole(
                "node-controller",
                [
                    rule(["get", "list", "watch", "update", "delete", "patch"], [""], ["nodes"]),
                    rule(["patch", "update"], [""], ["nodes/status"]),
                    // Pod deletion.
                    rule(["patch", "update"], [""], ["pods/status"]),
                    rule(["list", "watch", "get", "delete"], [""], ["pods"]),
                    eventsRule,
                ]),
            controllerRole("persistent-volume-binder", persistentVolumeBinderRules()),
            controllerRole(
                "pod-garbage-collector",
                [
                    rule(["list", "watch", "delete"], [""], ["pods"]),
                    rule(readVerbs, [""], ["nodes"]),
                    rule(["patch"], [""], ["pods/status"]),
                ]),
        ]
        return roles
    }

    static func persistentVolumeBinderRules() -> [JSON] {
        let rules: [JSON] = [
            rule(["get", "list", "watch", "update", "create", "delete"], [""], ["persistentvolumes"]),
            rule(["update"], [""], ["persistentvolumes/status"]),
            rule(["get", "list", "watch", "update"], [""], ["persistentvolumeclaims"]),
            rule(["update"], [""], ["persistentvolumeclaims/status"]),
            rule(["list", "watch", "get", "create", "delete"], [""], ["pods"]),
            rule(readVerbs, ["storage.k8s.io"], ["storageclasses"]),
            rule(["list", "watch"], [""], ["nodes"]),
            eventsRule,
            // The recycler client watches its pod.
            rule(["watch"], [""], ["events"]),
            // The portworx volume plugin.
            rule(["get"], [""], ["services"]),
        ]
        return rules
    }

    static func replicationControllerRoles() -> [JSON] {
        let appsAndExtensions: [String] = ["apps", "extensions"]
        let podVerbs: [String] = ["list", "watch", "patch", "create", "delete"]
        let roles: [JSON] = [
            controllerRole(
                "replicaset-controller",
                [
                    rule(["get", "list", "watch", "update"], appsAndExtensions, ["replicasets"]),
                    rule(["update"], appsAndExtensions, ["replicasets/status"]),
                    rule(["update"], appsAndExtensions, ["replicasets/finalizers"]),
                    rule(podVerbs, [""], ["pods"]),
                    eventsRule,
                ]),
            // 1.0 controllers needed get and update: without them old controllers break on new servers.
            controllerRole(
                "replication-controller",
                [
                    rule(["get", "list", "watch", "update"], [""], ["replicationcontrollers"]),
                    rule(["update"], [""], ["replicationcontrollers/status"]),
                    rule(["update"], [""], ["replicationcontrollers/finalizers"]),
                    rule(podVerbs, [""], ["pods"]),
                    eventsRule,
                ]),
            // Quota can be counted on anything, so it needs to view everything.
            controllerRole(
                "resourcequota-controller",
                [rule(["list", "watch"], ["*"], ["*"]), rule(["update"], [""], ["resourcequotas/status"]), eventsRule]),
            controllerRole(
                "route-controller",
                [rule(["list", "watch"], [""], ["nodes"]), rule(["patch"], [""], ["nodes/status"]), eventsRule]),
            controllerRole("service-account-controller", [rule(["create"], [""], ["serviceaccounts"]), eventsRule]),
            controllerRole(
                "service-controller",
                [
                    rule(readVerbs, [""], ["services"]),
                    rule(["patch", "update"], [""], ["services/status"]),
                    rule(["list", "watch"], [""], ["nodes"]),
                    eventsRule,
                ]),
            controllerRole("statefulset-controller", statefulSetControllerRules()),
            controllerRole(
                "ttl-controller", [rule(["update", "patch", "list", "watch"], [""], ["nodes"]), eventsRule]),
        ]
        return roles
    }

    /// The last two rules come with StatefulSetAutoDeletePVC, GA (and locked on) in v1.32.
    static func statefulSetControllerRules() -> [JSON] {
        let rules: [JSON] = [
            rule(["list", "watch"], [""], ["pods"]),
            rule(readVerbs, ["apps"], ["statefulsets"]),
            rule(["update"], ["apps"], ["statefulsets/status"]),
            rule(["update"], ["apps"], ["statefulsets/finalizers"]),
            rule(["get", "create", "delete", "update", "patch"], [""], ["pods"]),
            rule(["get", "create", "delete", "update", "patch", "list", "watch"], ["apps"], ["controllerrevisions"]),
            rule(["get", "create", "list", "watch"], [""], ["persistentvolumeclaims"]),
            eventsRule,
            rule(["update", "delete"], [""], ["persistentvolumeclaims"]),
            rule(["update"], [""], ["pods/finalizers"]),
        ]
        return rules
    }

    static func lifecycleControllerRoles() -> [JSON] {
        let roles: [JSON] = [
            controllerRole("certificate-controller", certificateControllerRules()),
            controllerRole(
                "pvc-protection-controller",
                [
                    rule(["get", "list", "watch", "update"], [""], ["persistentvolumeclaims"]),
                    rule(["list", "watch", "get"], [""], ["pods"]),
                    eventsRule,
                ]),
            controllerRole(
                "pv-protection-controller",
                [rule(["get", "list", "watch", "update"], [""], ["persistentvolumes"]), eventsRule]),
            controllerRole(
                "ttl-after-finished-controller",
                [rule(["get", "list", "watch", "delete"], ["batch"], ["jobs"]), eventsRule]),
            controllerRole("root-ca-cert-publisher", [rule(["create", "update"], [""], ["configmaps"]), eventsRule]),
            controllerRole(
                "validatingadmissionpolicy-status-controller",
                [
                    rule(readVerbs, ["admissionregistration.k8s.io"], ["validatingadmissionpolicies"]),
                    rule(
                        ["get", "patch", "update"], ["admissionregistration.k8s.io"],
                        ["validatingadmissionpolicies/status"]),
                    eventsRule,
                ]),
            controllerRole(
                "legacy-service-account-token-cleaner",
                [
                    rule(
                        ["get"], [""], ["configmaps"], names: ["kube-apiserver-legacy-service-account-token-tracking"]),
                    rule(["patch", "delete"], [""], ["secrets"]),
                ]),
        ]
        return roles
    }

    static func certificateControllerRules() -> [JSON] {
        let group = "certificates.k8s.io"
        let rules: [JSON] = [
            rule(["get", "list", "watch", "delete"], [group], ["certificatesigningrequests"]),
            rule(["update"], [group], ["certificatesigningrequests/status", "certificatesigningrequests/approval"]),
            rule(["approve"], [group], ["signers"], names: ["kubernetes.io/kube-apiserver-client-kubelet"]),
            rule(
                ["sign"], [group], ["signers"],
                names: [
                    "kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client",
                    "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving",
                ]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            eventsRule,
        ]
        return rules
    }
}
