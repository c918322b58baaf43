import Logging
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

/// The registry's strategy table: which resources carry storage hooks or answer creates themselves, and the
/// admission chain it runs.
@Suite struct RegistryStrategiesTests {
    let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))

    func type(_ group: String, _ version: String, _ resource: String) -> ResourceType {
        registry.resources.lookup(group: group, version: version, resource: resource)!
    }

    @Test func servicesAllocateThroughTheRegistrysAllocator() {
        let hooks = registry.strategies[type("", "v1", "services")].hooks
        #expect((hooks as? ServiceAllocations) === registry.serviceAllocations)
    }

    @Test func namespacesAreWatchedByTheNamespaceLifecycle() {
        let namespaces = registry.strategies[ObjectRegistry.namespaceType]
        #expect(namespaces.hooks is NamespaceLifecycle)
        #expect(namespaces.rest is NamespaceStrategy)
        #expect(registry.admission.first is NamespaceLifecycle)
    }

    @Test func selfSubjectReviewsAnswerWithoutStoring() async throws {
        let reviews = registry.strategies[type("authentication.k8s.io", "v1", "selfsubjectreviews")]
        let answer = try #require(reviews.answerCreate)
        let review = try await answer(
            ReviewRequest(
                user: UserInfo(name: "alice", groups: ["devs"]), namespace: nil, body: .emptyObject, registry: registry)
        )
        #expect(review["status"]["userInfo"]["username"] == "alice")
        #expect(review["status"]["userInfo"]["groups"] == ["devs"])
    }

    @Test(arguments: [("", "v1", "pods"), ("", "v1", "configmaps"), ("apps", "v1", "deployments")])
    func otherResourcesHaveNoHooksAndStore(group: String, version: String, resource: String) {
        let strategy = registry.strategies[type(group, version, resource)]
        #expect(strategy.hooks == nil && strategy.answerCreate == nil)
    }

    @Test func customResourcesGetTheFallback() {
        let widgets = ResourceType(group: "example.com", version: "v1", kind: "Pod", resource: "pods", namespaced: true)
        let strategy = registry.strategies[widgets]
        #expect(strategy.rest is DefaultStrategy && strategy.hooks == nil && strategy.answerCreate == nil)
    }

    @Test func namespaceLifecycleRefusesDeletingTheClustersOwnNamespaces() async throws {
        let lifecycle = NamespaceLifecycle(active: ActiveNamespaces())
        for name in ["default", "kube-system", "kube-public"] {
            let error = await #expect(throws: APIError.self) {
                try await lifecycle.admit(
                    AdmissionRequest(operation: .delete, type: ObjectRegistry.namespaceType, name: name, dryRun: false),
                    registry: registry)
            }
            #expect(error?.code == 403)
        }
        try await lifecycle.admit(
            AdmissionRequest(
                operation: .delete, type: ObjectRegistry.namespaceType, name: "kube-node-lease", dryRun: false),
            registry: registry)
        // Another resource named like a protected namespace is none of its business.
        try await lifecycle.admit(
            AdmissionRequest(
                operation: .delete, type: type("", "v1", "configmaps"), namespace: "default", name: "default",
                dryRun: false),
            registry: registry)
    }

    @Test func namespaceWritesForgetTheCachedActiveState() {
        let active = ActiveNamespaces()
        let lifecycle = NamespaceLifecycle(active: active)
        active.markActive("team")
        #expect(active.isActive("team"))
        lifecycle.writeBoundary(ObjectRegistry.namespaceType, name: "team")
        #expect(!active.isActive("team"))
    }
}
