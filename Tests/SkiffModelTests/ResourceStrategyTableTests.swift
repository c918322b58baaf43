import Testing

@testable import SkiffModel

/// The strategy table resolves each built-in with rules of its own to its strategy, and everything else to the
/// fallback.
@Suite struct ResourceStrategyTableTests {
    static let table = ResourceStrategies.builtin

    static func resolved(_ group: String, _ resource: String) -> any ResourceStrategy {
        table.strategy(for: GroupResource(group: group, resource: resource))
    }

    @Test(arguments: [
        ("", "namespaces", "NamespaceStrategy"),
        ("", "pods", "PodStrategy"),
        ("", "services", "ServiceStrategy"),
        ("", "configmaps", "ConfigDataStrategy"),
        ("", "secrets", "ConfigDataStrategy"),
        ("", "replicationcontrollers", "WorkloadStrategy"),
        ("apps", "deployments", "WorkloadStrategy"),
        ("apps", "replicasets", "WorkloadStrategy"),
        ("apps", "statefulsets", "WorkloadStrategy"),
        ("apps", "daemonsets", "WorkloadStrategy"),
        ("batch", "jobs", "JobStrategy"),
        ("batch", "cronjobs", "CronJobStrategy"),
        // No rules of their own, and custom resources whatever their kind is called.
        ("", "endpoints", "DefaultStrategy"),
        ("example.com", "widgets", "DefaultStrategy"),
        ("example.com", "deployments", "DefaultStrategy"),
    ])
    func builtinResourcesResolveToTheirStrategy(group: String, resource: String, strategy: String) {
        #expect(String(describing: type(of: Self.resolved(group, resource))) == strategy)
    }

    @Test(arguments: [
        ("", "replicationcontrollers", WorkloadStrategy.Workload.replicationController),
        ("apps", "deployments", .deployment),
        ("apps", "replicasets", .replicaSet),
        ("apps", "statefulsets", .statefulSet),
        ("apps", "daemonsets", .daemonSet),
    ])
    func workloadsKnowWhichWorkloadTheyAre(group: String, resource: String, workload: WorkloadStrategy.Workload) {
        #expect((Self.resolved(group, resource) as? WorkloadStrategy)?.workload == workload)
    }

    @Test func everyTableEntryIsAServedBuiltin() {
        let served = Set(BuiltinResources.all.map(\.groupResource))
        for resource in Self.table.resources {
            #expect(served.contains(resource), "\(resource) has a strategy but is not served")
        }
    }

    @Test func secretsDefaultTheirTypeConfigMapsHaveNone() {
        #expect((Self.resolved("", "secrets") as? ConfigDataStrategy)?.defaultType == "Opaque")
        #expect((Self.resolved("", "configmaps") as? ConfigDataStrategy)?.defaultType == nil)
    }

    @Test func onlyPodsAnswerTheDeletedObjectAndOnlyNamespacesSkipGeneration() {
        for type in BuiltinResources.all {
            let strategy = Self.table.strategy(for: type.groupResource)
            #expect(strategy.returnsDeletedObject == (type.groupResource.description == "pods"), "\(type.resource)")
            #expect(strategy.tracksGeneration == (type.groupResource.description != "namespaces"), "\(type.resource)")
            #expect(!strategy.allowCreateOnUpdate && strategy.allowUnconditionalUpdate, "\(type.resource)")
        }
    }
}
