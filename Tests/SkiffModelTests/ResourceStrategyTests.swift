import Testing

@testable import SkiffModel

/// A few strategies' prepare and validate steps, table-driven: each case is one write through the strategy that
/// the table resolves for its resource.
@Suite struct ResourceStrategyTests {
    static let resources = ResourceRegistry()

    static func type(_ group: String, _ resource: String) -> ResourceType {
        resources.lookup(group: group, version: "v1", resource: resource)!
    }

    static func strategy(_ type: ResourceType) -> any ResourceStrategy {
        ResourceStrategies.builtin.strategy(for: type.groupResource)
    }

    struct Write: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var group = ""
        var resource: String
        var object: JSON
        /// The live object of an update; nil for a create.
        var old: JSON? = nil
        /// The fields the 422 names; empty when the write is valid.
        var invalid: [String] = []
    }

    static let pod: JSON = ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "nginx"]]]]
    static let deployment: JSON = [
        "metadata": ["name": "d"],
        "spec": [
            "selector": ["matchLabels": ["app": "a"]],
            "template": ["metadata": ["labels": ["app": "a"]], "spec": ["containers": [["name": "c", "image": "i"]]]],
        ],
    ]

    static let writes: [Write] = [
        Write(testDescription: "valid pod", resource: "pods", object: pod),
        Write(
            testDescription: "pod without containers", resource: "pods",
            object: ["metadata": ["name": "p"], "spec": .emptyObject], invalid: ["spec.containers"]),
        Write(
            testDescription: "pod container without image", resource: "pods",
            object: ["metadata": ["name": "p"], "spec": ["containers": [["name": "c"]]]],
            invalid: ["spec.containers[0].image"]),
        Write(testDescription: "valid deployment", group: "apps", resource: "deployments", object: deployment),
        Write(
            testDescription: "deployment whose selector misses its template", group: "apps", resource: "deployments",
            object: {
                var object = deployment
                object["spec"]["template"]["metadata"]["labels"] = ["app": "b"]
                return object
            }(), invalid: ["spec.template.metadata.labels"]),
        Write(
            testDescription: "deployment changing its selector", group: "apps", resource: "deployments",
            object: {
                var object = deployment
                object["spec"]["selector"] = ["matchLabels": ["app": "b"]]
                object["spec"]["template"]["metadata"]["labels"] = ["app": "b"]
                return object
            }(), old: deployment, invalid: ["spec.selector"]),
        Write(
            testDescription: "replication controller changing its selector", resource: "replicationcontrollers",
            object: ["metadata": ["name": "r"], "spec": ["selector": ["app": "b"]]],
            old: ["metadata": ["name": "r"], "spec": ["selector": ["app": "a"]]]),
        Write(
            testDescription: "job changing its selector", group: "batch", resource: "jobs",
            object: ["metadata": ["name": "j"], "spec": ["selector": ["matchLabels": ["a": "2"]]]],
            old: ["metadata": ["name": "j"], "spec": ["selector": ["matchLabels": ["a": "1"]]]],
            invalid: ["spec.selector"]),
        Write(
            testDescription: "secret with a bad key", resource: "secrets",
            object: ["metadata": ["name": "s"], "stringData": ["ok": "1", "not ok": "2"]],
            invalid: ["stringData[not ok]"]),
        Write(
            testDescription: "config map with good keys", resource: "configmaps",
            object: ["metadata": ["name": "c"], "data": ["a.b": "1", "C_D-e": "2"]]),
        Write(
            testDescription: "custom-looking kind without rules", resource: "endpoints",
            object: ["metadata": ["name": "e"], "spec": .emptyObject]),
    ]

    @Test(arguments: writes)
    func prepareAndValidate(_ write: Write) {
        let type = Self.type(write.group, write.resource)
        let strategy = Self.strategy(type)
        var object = write.object
        var failure: APIError?
        do throws(APIError) {
            if let old = write.old {
                strategy.prepareForUpdate(&object, old: old)
                try strategy.validateUpdate(object, old: old, type: type)
            } else {
                strategy.prepareForCreate(&object)
                try strategy.validate(object, type: type)
            }
        } catch {
            failure = error
        }
        if let failure {
            #expect(failure.code == 422 && failure.reason == "Invalid")
            #expect(failure.kind == type.kind)
            #expect(failure.name == write.object.name)
        }
        #expect((failure?.causes.map(\.field) ?? []) == write.invalid)
    }

    struct Default: Sendable, CustomTestStringConvertible {
        var testDescription: String { "\(resource) \(path)" }
        var group = ""
        var resource: String
        var object: JSON
        var path: [JSONPathComponent]
        var value: JSON
    }

    static let defaults: [Default] = [
        Default(resource: "pods", object: pod, path: ["spec", "restartPolicy"], value: "Always"),
        Default(resource: "pods", object: pod, path: ["status", "phase"], value: "Pending"),
        Default(resource: "pods", object: pod, path: ["spec", "containers", 0, "imagePullPolicy"], value: "Always"),
        Default(
            resource: "namespaces", object: ["metadata": ["name": "n"]], path: ["spec", "finalizers"],
            value: ["kubernetes"]),
        Default(
            resource: "namespaces", object: ["metadata": ["name": "n"]], path: ["status", "phase"], value: "Active"),
        Default(resource: "secrets", object: ["metadata": ["name": "s"]], path: ["type"], value: "Opaque"),
        Default(
            resource: "services", object: ["metadata": ["name": "s"], "spec": ["ports": [["port": 80]]]],
            path: ["spec", "ports", 0, "targetPort"], value: 80),
        Default(group: "apps", resource: "daemonsets", object: deployment, path: ["spec", "replicas"], value: .null),
        Default(group: "apps", resource: "deployments", object: deployment, path: ["spec", "replicas"], value: 1),
        Default(
            group: "batch", resource: "jobs", object: ["metadata": ["name": "j"], "spec": ["template": .emptyObject]],
            path: ["spec", "template", "spec", "restartPolicy"], value: "Never"),
    ]

    @Test(arguments: defaults)
    func createDefaults(_ entry: Default) {
        var object = entry.object
        Self.strategy(Self.type(entry.group, entry.resource)).prepareForCreate(&object)
        #expect((object.value(at: entry.path) ?? .null) == entry.value)
    }

    @Test func namespacesHoldTheirDeletionAndGoTerminating() {
        let namespaces = Self.type("", "namespaces")
        let strategy = Self.strategy(namespaces)
        var namespace: JSON = ["metadata": ["name": "n"]]
        strategy.prepareForCreate(&namespace)
        #expect(strategy.deletionFinalizers(namespace) == ["kubernetes"])
        #expect(Self.strategy(Self.type("", "configmaps")).deletionFinalizers(namespace) == [])
        strategy.prepareForDeletion(&namespace)
        #expect(namespace["status"]["phase"] == "Terminating")
        #expect(throws: APIError.self) { try strategy.validateName("a.b", type: namespaces) }
        #expect(throws: Never.self) {
            try Self.strategy(Self.type("", "configmaps")).validateName("a.b", type: namespaces)
        }
    }

    @Test func finalizeChangesOnlyTheNamespacesFinalizers() {
        let namespaces = Self.type("", "namespaces")
        let live: JSON = [
            "metadata": ["name": "n"], "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Terminating"],
        ]
        let desired: JSON = [
            "metadata": ["name": "n", "labels": ["x": "y"]], "spec": ["finalizers": []], "status": .emptyObject,
        ]
        let next = Self.strategy(namespaces).updatedObject(
            live: live, desired: desired, subresource: "finalize", type: namespaces)
        #expect(next["spec"]["finalizers"] == [])
        #expect(next["status"] == live["status"] && next["metadata"] == live["metadata"])
    }

    @Test func statusResetKeepsTheFieldsTheEndpointDoesNotOwn() {
        let deployments = Self.type("apps", "deployments")
        let strategy = Self.strategy(deployments)
        let live: JSON = ["metadata": ["name": "d"], "spec": ["replicas": 1], "status": ["replicas": 1]]
        let desired: JSON = [
            "metadata": ["name": "d", "labels": ["a": "b"]], "spec": ["replicas": 3], "status": ["replicas": 3],
        ]
        let main = strategy.updatedObject(live: live, desired: desired, subresource: nil, type: deployments)
        #expect(main["spec"]["replicas"] == 3 && main["status"]["replicas"] == 1)
        let status = strategy.updatedObject(live: live, desired: desired, subresource: "status", type: deployments)
        #expect(status["spec"]["replicas"] == 1 && status["status"]["replicas"] == 3)
        #expect(status["metadata"]["labels"] == ["a": "b"])
        // Without a status subresource the main endpoint writes status too.
        let configMaps = Self.type("", "configmaps")
        #expect(
            Self.strategy(configMaps).updatedObject(live: live, desired: desired, subresource: nil, type: configMaps)[
                "status"]
                == desired["status"])
    }

    @Test func deploymentsCountAnnotationChangesInTheirGeneration() {
        let live: JSON = ["metadata": ["annotations": ["a": "1"]], "spec": ["replicas": 1]]
        let next: JSON = ["metadata": ["annotations": ["a": "2"]], "spec": ["replicas": 1]]
        #expect(Self.strategy(Self.type("apps", "deployments")).generationChanged(live: live, next: next))
        #expect(!Self.strategy(Self.type("apps", "replicasets")).generationChanged(live: live, next: next))
        #expect(
            Self.strategy(Self.type("apps", "replicasets")).generationChanged(
                live: live, next: ["spec": ["replicas": 2]]))
    }

    @Test func secretsFoldStringDataIntoDataOnEveryWrite() throws {
        let secrets = Self.type("", "secrets")
        let strategy = Self.strategy(secrets)
        var secret: JSON = [
            "metadata": ["name": "s"], "data": ["a": "YQ==", "b": "Yg=="], "stringData": ["b": "s3cret"],
        ]
        strategy.prepareForCreate(&secret)
        #expect(secret["data"] == ["a": "YQ==", "b": "czNjcmV0"])
        #expect(secret["stringData"].isNull)
        var update = secret
        update["stringData"] = ["c": "new"]
        strategy.prepareForUpdate(&update, old: secret)
        #expect(update["data"]["c"] == "bmV3" && update["stringData"].isNull)
        // A bad key stays where the user wrote it, so that the 422 names it.
        var bad: JSON = ["metadata": ["name": "s"], "stringData": ["no/slash": "x"]]
        strategy.prepareForCreate(&bad)
        #expect(bad["data"].isNull)
        #expect(throws: APIError.self) { try strategy.validate(bad, type: secrets) }
        // ConfigMaps have no stringData to fold.
        var configMap: JSON = ["metadata": ["name": "c"], "stringData": ["k": "v"]]
        Self.strategy(Self.type("", "configmaps")).prepareForCreate(&configMap)
        #expect(configMap["stringData"] == ["k": "v"])
    }

    @Test func replicationControllersScaleByTheirPlainSelector() {
        let selector: JSON = ["spec": ["selector": ["b": "2", "a": "1"]]]
        #expect(Self.strategy(Self.type("", "replicationcontrollers")).scaleSelector(selector) == "a=1,b=2")
        #expect(Self.strategy(Self.type("apps", "replicasets")).scaleSelector(selector) == "")
        let matchLabels: JSON = ["spec": ["selector": ["matchLabels": ["app": "x"]]]]
        #expect(Self.strategy(Self.type("apps", "replicasets")).scaleSelector(matchLabels) == "app=x")
    }
}
