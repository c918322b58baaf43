import Foundation

/// How one kind prints as Table rows: its column definitions and the cells (and optional row conditions) of one
/// object. Cells always include the wide (`priority: 1`) columns, as the upstream server does; kubectl hides them
/// unless asked for `-o wide`.
struct RowPrinter: Sendable {
    var columns: [TableColumn]
    var cells: @Sendable (_ object: JSON, _ now: Date) -> [JSON]
    /// `rows[].conditions`, e.g. `Completed` for finished pods; nil for none.
    var conditions: @Sendable (_ object: JSON) -> JSON? = { _ in nil }

    /// The printer for `type`: upstream's column set for built-in kinds, `Name, Created At` for built-ins upstream
    /// prints with its default convertor, and `Name, Age` for everything else (custom resources).
    static func printer(for type: ResourceType) -> RowPrinter {
        switch (type.group, type.resource) {
        case ("", "pods"): pod
        case ("", "nodes"): node
        case ("", "services"): service
        case ("", "endpoints"): endpoints
        case ("", "namespaces"): namespace
        case ("", "events"): event
        case ("events.k8s.io", "events"): eventsV1
        case ("", "configmaps"): configMap
        case ("", "secrets"): secret
        case ("", "serviceaccounts"): serviceAccount
        case ("", "persistentvolumes"): persistentVolume
        case ("", "persistentvolumeclaims"): persistentVolumeClaim
        case ("", "replicationcontrollers"): replicationController
        case ("", "resourcequotas"): resourceQuota
        case ("apps", "deployments"): deployment
        case ("apps", "replicasets"): replicaSet
        case ("apps", "daemonsets"): daemonSet
        case ("apps", "statefulsets"): statefulSet
        case ("apps", "controllerrevisions"): controllerRevision
        case ("batch", "jobs"): job
        case ("batch", "cronjobs"): cronJob
        case ("coordination.k8s.io", "leases"): lease
        case ("discovery.k8s.io", "endpointslices"): endpointSlice
        case ("networking.k8s.io", "ingresses"): ingress
        case ("networking.k8s.io", "ingressclasses"): ingressClass
        case ("networking.k8s.io", "networkpolicies"): networkPolicy
        case ("storage.k8s.io", "storageclasses"): storageClass
        case ("scheduling.k8s.io", "priorityclasses"): priorityClass
        case ("policy", "poddisruptionbudgets"): podDisruptionBudget
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            roleBinding
        case ("apiregistration.k8s.io", "apiservices"): apiService
        case ("", "limitranges"), ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"), ("apiextensions.k8s.io", "customresourcedefinitions"):
            createdAt
        default:
            customResource
        }
    }

    /// Upstream's default table convertor, used for built-ins without a printer (roles, CRDs, limit ranges).
    static let createdAt = RowPrinter(
        columns: [
            .name,
            TableColumn(
                name: "Created At", type: "date",
                description: "The server time when this object was created (RFC 3339, UTC)."),
        ],
        cells: { object, _ in
            let created = object["metadata"]["creationTimestamp"].stringValue.flatMap(KubeTimestamp.date)
            // Go formats a missing timestamp as its zero time.
            let text = created.map(KubeTimestamp.string) ?? "0001-01-01T00:00:00Z"
            return [TableCells.name(object), .string(text)]
        })

    /// Custom resources without printer columns: the CRD default `Age` column, typed `date`.
    static let customResource = RowPrinter(
        columns: [
            .name,
            TableColumn(
                name: "Age", type: "date",
                description: "Time since creationTimestamp, the server time when this object was created."),
        ],
        cells: { object, now in [TableCells.name(object), TableCells.age(object, now: now)] })
}
