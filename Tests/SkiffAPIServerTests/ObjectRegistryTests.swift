import Logging
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

@Suite struct ObjectRegistryTests {
    let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))
    var configMaps: ResourceType { registry.resources.lookup(group: "", version: "v1", resource: "configmaps")! }
    var deployments: ResourceType { registry.resources.lookup(group: "apps", version: "v1", resource: "deployments")! }
    var namespaces: ResourceType { ObjectRegistry.namespaceType }

    func configMap(_ name: String) -> JSON { ["metadata": ["name": .string(name)], "data": ["k": "v"]] }

    @Test func createSetsSystemMetadataAndRefusesDuplicates() async throws {
        try await registry.seed()
        let kv = try await registry.create(configMaps, namespace: "default", object: configMap("a"))
        let object = try StoredBytes.decode(kv)
        #expect(object.kind == "ConfigMap" && object.apiVersion == "v1")
        #expect(object.namespace == "default")
        #expect(object.uid?.count == 36)
        #expect(object["metadata"]["creationTimestamp"].stringValue?.hasSuffix("Z") == true)
        await #expect(throws: APIError.alreadyExists(configMaps, "a")) {
            _ = try await registry.create(configMaps, namespace: "default", object: configMap("a"))
        }
    }

    @Test func generateNameAndNameValidation() async throws {
        try await registry.seed()
        let kv = try await registry.create(
            configMaps, namespace: "default", object: ["metadata": ["generateName": "cfg-"]])
        let name = try StoredBytes.decode(kv).name ?? ""
        #expect(name.hasPrefix("cfg-") && name.count == 9)
        let error = await #expect(throws: APIError.self) {
            _ = try await registry.create(configMaps, namespace: "default", object: configMap("Bad_Name"))
        }
        #expect(error?.code == 422 && error?.reason == "Invalid")
        #expect(error?.message.hasPrefix("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value") == true)
    }

    @Test func creationInMissingOrTerminatingNamespaceIsRefused() async throws {
        try await registry.seed()
        let missing = await #expect(throws: APIError.self) {
            _ = try await registry.create(configMaps, namespace: "nowhere", object: configMap("a"))
        }
        #expect(missing?.code == 404 && missing?.message == "namespaces \"nowhere\" not found")
        _ = try await registry.create(namespaces, namespace: nil, object: ["metadata": ["name": "doomed"]])
        guard case .pending = try await registry.delete(namespaces, namespace: nil, name: "doomed") else {
            Issue.record("a namespace with the kubernetes finalizer must wait")
            return
        }
        #expect(
            try await registry.getObject(namespaces, namespace: nil, name: "doomed")["status"]["phase"] == "Terminating"
        )
        let terminating = await #expect(throws: APIError.self) {
            _ = try await registry.create(configMaps, namespace: "doomed", object: configMap("a"))
        }
        #expect(terminating?.code == 403)
    }

    @Test func updatesUseOptimisticConcurrency() async throws {
        try await registry.seed()
        let created = try await registry.create(configMaps, namespace: "default", object: configMap("a"))
        var stale = try StoredBytes.decode(created)
        let (first, _) = try await registry.update(configMaps, namespace: "default", name: "a") {
            live throws(APIError) in
            var next = live!
            next["data"]["k"] = "v2"
            return next
        }
        #expect(first.modRevision > created.modRevision)
        stale["data"]["k"] = "lost update"
        await #expect(throws: APIError.conflict(configMaps, "a")) {
            _ = try await registry.update(configMaps, namespace: "default", name: "a") { _ throws(APIError) in stale }
        }
        // Without a resourceVersion the update is unconditional.
        _ = stale.removeValue(at: "metadata", "resourceVersion")
        let (second, _) = try await registry.update(configMaps, namespace: "default", name: "a") { _ throws(APIError) in
            stale
        }
        #expect(try StoredBytes.decode(second)["data"]["k"] == "lost update")
        #expect(try StoredBytes.decode(second).uid == StoredBytes.decode(created).uid)
    }

    @Test func generationFollowsSpecAndStatusIsSeparate() async throws {
        try await registry.seed()
        let deployment: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [["name": "c", "image": "busybox"]]],
                ],
            ],
        ]
        let created = try StoredBytes.decode(
            try await registry.create(deployments, namespace: "default", object: deployment))
        #expect(created["metadata"]["generation"] == 1)
        #expect(created["spec"]["replicas"] == 1)
        #expect(created["spec"]["strategy"]["type"] == "RollingUpdate")
        let (statusWrite, _) = try await registry.update(
            deployments, namespace: "default", name: "web", subresource: "status"
        ) {
            live throws(APIError) in
            var next = live!
            next["status"]["replicas"] = 1
            next["spec"]["replicas"] = 9  // ignored on the status endpoint
            return next
        }
        let afterStatus = try StoredBytes.decode(statusWrite)
        #expect(afterStatus["status"]["replicas"] == 1 && afterStatus["spec"]["replicas"] == 1)
        #expect(afterStatus["metadata"]["generation"] == 1)
        let (specWrite, _) = try await registry.update(deployments, namespace: "default", name: "web") {
            live throws(APIError) in
            var next = live!
            next["spec"]["replicas"] = 3
            next["status"]["replicas"] = 7  // ignored on the main endpoint
            return next
        }
        let afterSpec = try StoredBytes.decode(specWrite)
        #expect(afterSpec["metadata"]["generation"] == 2)
        #expect(afterSpec["status"]["replicas"] == 1)
    }

    @Test func finalizersDelayDeletionUntilRemoved() async throws {
        try await registry.seed()
        var object = configMap("held")
        object["metadata"]["finalizers"] = ["example.com/hold"]
        _ = try await registry.create(configMaps, namespace: "default", object: object)
        guard case .pending(let pending) = try await registry.delete(configMaps, namespace: "default", name: "held")
        else {
            Issue.record("expected a pending deletion")
            return
        }
        #expect(try StoredBytes.decode(pending).deletionTimestamp != nil)
        let (_, _) = try await registry.update(configMaps, namespace: "default", name: "held") {
            live throws(APIError) in
            var next = live!
            next["metadata"]["finalizers"] = .emptyArray
            return next
        }
        await #expect(throws: APIError.notFound(configMaps, "held")) {
            _ = try await registry.getObject(configMaps, namespace: "default", name: "held")
        }
    }

    @Test func protectedNamespacesCannotBeDeleted() async throws {
        try await registry.seed()
        let error = await #expect(throws: APIError.self) {
            _ = try await registry.delete(namespaces, namespace: nil, name: "default")
        }
        #expect(error?.code == 403)
    }
}

@Suite struct ActiveNamespacesTests {
    @Test func activeIsRememberedBrieflyAndForgottenOnWrite() {
        let cache = ActiveNamespaces(freshness: .seconds(1))
        let start = ContinuousClock.now
        #expect(!cache.isActive("prod", now: start))
        cache.markActive("prod", now: start)
        #expect(cache.isActive("prod", now: start + .milliseconds(500)))
        #expect(!cache.isActive("prod", now: start + .seconds(2)))
        cache.markActive("prod", now: start)
        cache.forget("prod")
        #expect(!cache.isActive("prod", now: start))
    }
}
