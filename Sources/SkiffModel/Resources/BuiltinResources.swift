/// The built-in kinds skiff serves, in discovery order.
public enum BuiltinResources {
    static func gvk(_ group: String, _ version: String, _ kind: String) -> GroupVersionKind {
        GroupVersionKind(group: group, version: version, kind: kind)
    }

    static func type(
        _ group: String, _ version: String, _ kind: String, _ resource: String, namespaced: Bool = true,
        short: [String] = [], all: Bool = false, verbs: [String] = Verbs.all, status: Bool = false,
        scale: Bool = false, extra: [Subresource] = []
    ) -> ResourceType {
        var subresources: [Subresource] = []
        if status { subresources.append(.status(of: gvk(group, version, kind))) }
        if scale { subresources.append(.scale) }
        subresources += extra
        return ResourceType(
            group: group, version: version, kind: kind, resource: resource, namespaced: namespaced, shortNames: short,
            categories: all ? ["all"] : [], verbs: verbs, subresources: subresources)
    }

    static let stream = ["get"]

    public static let all: [ResourceType] = [
        // core/v1
        type(
            "", "v1", "Namespace", "namespaces", namespaced: false, short: ["ns"], verbs: Verbs.noCollectionDelete,
            status: true,
            extra: [Subresource("finalize", responseKind: gvk("", "v1", "Namespace"), verbs: ["update"])]),
        type(
            "", "v1", "Node", "nodes", namespaced: false, short: ["no"], status: true,
            extra: [Subresource("proxy", verbs: ["create", "delete", "get", "patch", "update"])]),
        type(
            "", "v1", "Pod", "pods", short: ["po"], all: true, status: true,
            extra: [
                Subresource("binding", responseKind: gvk("", "v1", "Binding"), verbs: ["create"]),
                Subresource("eviction", responseKind: gvk("policy", "v1", "Eviction"), verbs: ["create"]),
                Subresource(
                    "ephemeralcontainers", responseKind: gvk("", "v1", "Pod"), verbs: ["get", "patch", "update"]),
                Subresource("log", verbs: stream),
                Subresource("exec", verbs: ["create", "get"]),
                Subresource("attach", verbs: ["create", "get"]),
                Subresource("portforward", verbs: ["create", "get"]),
            ]),
        type(
            "", "v1", "Service", "services", short: ["svc"], all: true, verbs: Verbs.all, status: true,
            extra: [Subresource("proxy", verbs: ["create", "delete", "get", "patch", "update"])]),
        type("", "v1", "Endpoints", "endpoints", short: ["ep"]),
        type("", "v1", "ConfigMap", "configmaps", short: ["cm"]),
        type("", "v1", "Secret", "secrets"),
        type(
            "", "v1", "ServiceAccount", "serviceaccounts", short: ["sa"],
            extra: [
                Subresource(
                    "token", responseKind: gvk("authentication.k8s.io", "v1", "TokenRequest"), verbs: ["create"])
            ]),
        type("", "v1", "Event", "events", short: ["ev"]),
        type("", "v1", "PersistentVolume", "persistentvolumes", namespaced: false, short: ["pv"], status: true),
        type("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short: ["pvc"], status: true),
        type(
            "", "v1", "ReplicationController", "replicationcontrollers", short: ["rc"], all: true, status: true,
            scale: true),
        type("", "v1", "LimitRange", "limitranges", short: ["limits"]),
        type("", "v1", "ResourceQuota", "resourcequotas", short: ["quota"], status: true),
        // apps/v1
        type("apps", "v1", "Deployment", "deployments", short: ["deploy"], all: true, status: true, scale: true),
        type("apps", "v1", "ReplicaSet", "replicasets", short: ["rs"], all: true, status: true, scale: true),
        type("apps", "v1", "DaemonSet", "daemonsets", short: ["ds"], all: true, status: true),
        type("apps", "v1", "StatefulSet", "statefulsets", short: ["sts"], all: true, status: true, scale: true),
        type("apps", "v1", "ControllerRevision", "controllerrevisions"),
        // batch/v1
        type("batch", "v1", "Job", "jobs", all: true, status: true),
        type("batch", "v1", "CronJob", "cronjobs", short: ["cj"], all: true, status: true),
        // coordination.k8s.io/v1
        type("coordination.k8s.io", "v1", "Lease", "leases"),
        // discovery.k8s.io/v1
        type("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
        // events.k8s.io/v1
        type("events.k8s.io", "v1", "Event", "events"),
        // authentication.k8s.io/v1: create-only reviews, answered from the request's identity and never stored
        type(
            "authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", namespaced: false,
            verbs: ["create"]),
        // authorization.k8s.io/v1: create-only reviews, answered by the authorizer and never stored
        type(
            "authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", namespaced: false,
            verbs: ["create"]),
        type(
            "authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", namespaced: false,
            verbs: ["create"]),
        type(
            "authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", namespaced: false,
            verbs: ["create"]),
        type("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", verbs: ["create"]),
        // rbac.authorization.k8s.io/v1
        type("rbac.authorization.k8s.io", "v1", "Role", "roles"),
        type("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
        type("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced: false),
        type("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false),
        // policy/v1
        type("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short: ["pdb"], status: true),
        // networking.k8s.io/v1
        type("networking.k8s.io", "v1", "Ingress", "ingresses", short: ["ing"], status: true),
        type("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short: ["netpol"]),
        type("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced: false),
        // storage.k8s.io/v1
        type("storage.k8s.io", "v1", "StorageClass", "storageclasses", namespaced: false, short: ["sc"]),
        // scheduling.k8s.io/v1
        type("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", namespaced: false, short: ["pc"]),
        // apiextensions.k8s.io/v1
        type(
            "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", namespaced: false,
            short: ["crd", "crds"], status: true),
        // apiregistration.k8s.io/v1
        type("apiregistration.k8s.io", "v1", "APIService", "apiservices", namespaced: false, status: true),
    ]
}
