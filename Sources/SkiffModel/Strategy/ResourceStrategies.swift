/// The strategy table: each built-in resource with rules of its own, keyed by group-resource; everything else
/// (custom resources included) gets the fallback. Kept beside the schema table so that the registry and handlers
/// name no kind.
public struct ResourceStrategies: Sendable {
    private var byResource: [GroupResource: any ResourceStrategy]
    public let fallback: any ResourceStrategy

    public init(_ byResource: [GroupResource: any ResourceStrategy], fallback: any ResourceStrategy = DefaultStrategy())
    {
        self.byResource = byResource
        self.fallback = fallback
    }

    /// The strategy of a resource: one dictionary hit.
    public func strategy(for resource: GroupResource) -> any ResourceStrategy {
        byResource[resource] ?? fallback
    }

    /// The resources with a strategy of their own.
    public var resources: Dictionary<GroupResource, any ResourceStrategy>.Keys { byResource.keys }

    public static let builtin = ResourceStrategies([
        GroupResource(group: "", resource: "namespaces"): NamespaceStrategy(),
        GroupResource(group: "", resource: "pods"): PodStrategy(),
        GroupResource(group: "", resource: "services"): ServiceStrategy(),
        GroupResource(group: "", resource: "configmaps"): ConfigDataStrategy(),
        GroupResource(group: "", resource: "secrets"): ConfigDataStrategy(defaultType: "Opaque"),
        GroupResource(group: "", resource: "replicationcontrollers"): WorkloadStrategy(.replicationController),
        GroupResource(group: "apps", resource: "deployments"): WorkloadStrategy(.deployment),
        GroupResource(group: "apps", resource: "replicasets"): WorkloadStrategy(.replicaSet),
        GroupResource(group: "apps", resource: "statefulsets"): WorkloadStrategy(.statefulSet),
        GroupResource(group: "apps", resource: "daemonsets"): WorkloadStrategy(.daemonSet),
        GroupResource(group: "batch", resource: "jobs"): JobStrategy(),
        GroupResource(group: "batch", resource: "cronjobs"): CronJobStrategy(),
        GroupResource(group: RBACStrategy.group, resource: "roles"): RBACStrategy(.role),
        GroupResource(group: RBACStrategy.group, resource: "clusterroles"): RBACStrategy(.clusterRole),
        GroupResource(group: RBACStrategy.group, resource: "rolebindings"): RBACStrategy(.roleBinding),
        GroupResource(group: RBACStrategy.group, resource: "clusterrolebindings"): RBACStrategy(.clusterRoleBinding),
    ])
}
