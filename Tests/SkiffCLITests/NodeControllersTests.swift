import Logging
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import Testing

/// The `kube-root-ca.crt` publisher and simulated nodes' status recovery, in process.
@Suite struct NodeControllersTests {
    static let logger = Logger(label: "test")

    static func cluster() async throws -> InProcessClusterAPI {
        let registry = ObjectRegistry(store: MemoryStore(), logger: logger, garbageCollection: true)
        try await registry.seed()
        return InProcessClusterAPI(registry: registry)
    }

    /// Polls `read` every 20 ms until it returns true (20 s only stop a hang).
    static func eventually(_ read: () async -> Bool) async throws -> Bool {
        for _ in 0..<1000 {
            if await read() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

    @Test func everyNamespaceGetsTheCAAndKeepsItCurrent() async throws {
        let api = try await Self.cluster()
        let configMaps = api.type("", "v1", "configmaps")
        func published(_ namespace: String) async -> JSON? {
            try? await api.get(configMaps, namespace: namespace, name: "kube-root-ca.crt")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await RootCAPublisher(api: api, caPEM: Self.caPEM, logger: Self.logger).run() }
            for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                #expect(
                    try await Self.eventually { await published(namespace)?["data"]["ca.crt"] == .string(Self.caPEM) })
            }
            let copy = try #require(await published("default"))
            #expect(
                copy["metadata"]["annotations"]["kubernetes.io/description"].stringValue?.hasPrefix(
                    "Contains a CA bundle") == true)

            // A namespace created later gets it too.
            _ = try await api.create(
                api.type("", "v1", "namespaces"), namespace: nil, object: ["metadata": ["name": "edge"]],
                fieldManager: "test")
            #expect(try await Self.eventually { await published("edge")?["data"]["ca.crt"] == .string(Self.caPEM) })

            // Deleted: back. Edited: put right (the edit's own labels stay).
            try await api.delete(configMaps, namespace: "edge", name: "kube-root-ca.crt", options: .emptyObject)
            #expect(try await Self.eventually { await published("edge") != nil })
            _ = try await api.patch(
                configMaps, namespace: "default", name: "kube-root-ca.crt",
                patch: ["metadata": ["labels": ["mine": "yes"]], "data": ["ca.crt": "tampered", "extra": "x"]],
                patchType: .merge, subresource: nil, fieldManager: "test")
            #expect(
                try await Self.eventually {
                    await published("default")?["data"] == ["ca.crt": .string(Self.caPEM)]
                })
            #expect(await published("default")?["metadata"]["labels"]["mine"] == "yes")
            group.cancelAll()
        }
    }

    @Test func reconcileLeavesTerminatingNamespacesAndCurrentCopiesAlone() {
        let terminating: JSON = ["metadata": ["name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z"]]
        #expect(RootCAPublisher.reconcile(namespace: terminating, current: nil, caPEM: Self.caPEM) == nil)
        #expect(RootCAPublisher.reconcile(namespace: nil, current: nil, caPEM: Self.caPEM) == nil)
        let active: JSON = ["metadata": ["name": "edge"]]
        let current: JSON = [
            "metadata": ["name": "kube-root-ca.crt", "namespace": "edge"], "data": ["ca.crt": .string(Self.caPEM)],
        ]
        #expect(RootCAPublisher.reconcile(namespace: active, current: current, caPEM: Self.caPEM) == nil)
        guard case .create(let object) = RootCAPublisher.reconcile(namespace: active, current: nil, caPEM: Self.caPEM)
        else {
            Issue.record("a missing copy is created")
            return
        }
        #expect(object["metadata"]["namespace"] == "edge" && object["data"]["ca.crt"] == .string(Self.caPEM))
    }

    /// The node lifecycle controller marks an unreachable node's conditions Unknown; when the node's heartbeats come
    /// back, the node re-posts Ready=True, as a kubelet does at its next status sync.
    @Test func aSimulatedNodeRepostsReadyAfterItWasMarkedUnknown() async throws {
        let api = try await Self.cluster()
        let nodes = api.type("", "v1", "nodes")
        func ready() async -> String? {
            let node = try? await api.get(nodes, namespace: nil, name: "sim-0")
            return node?["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }?["status"].stringValue
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await SimulatedNodes(api: api, count: 1, heartbeat: .milliseconds(100), logger: Self.logger).run()
            }
            #expect(try await Self.eventually { await ready() == "True" })
            let node = try await api.get(nodes, namespace: nil, name: "sim-0")
            var conditions = node["status"]["conditions"].arrayValue ?? []
            for index in conditions.indices {
                conditions[index]["status"] = "Unknown"
                conditions[index]["reason"] = "NodeStatusUnknown"
            }
            _ = try await api.patch(
                nodes, namespace: nil, name: "sim-0", patch: ["status": ["conditions": .array(conditions)]],
                patchType: .merge, subresource: "status", fieldManager: "node-controller")
            #expect(try await Self.eventually { await ready() == "True" }, "the node re-posts Ready")
            let after = try await api.get(nodes, namespace: nil, name: "sim-0")
            let statuses = (after["status"]["conditions"].arrayValue ?? []).compactMap { $0["status"].stringValue }
            #expect(!statuses.contains("Unknown"), "every condition is re-posted: \(statuses)")

            // The server lost the node and its Lease (deleted, or a restored snapshot): it registers again.
            let leases = api.type("coordination.k8s.io", "v1", "leases")
            try await api.delete(nodes, namespace: nil, name: "sim-0", options: .emptyObject)
            try await api.delete(leases, namespace: "kube-node-lease", name: "sim-0", options: .emptyObject)
            #expect(try await Self.eventually { await ready() == "True" }, "the node registers again")
            #expect(
                try await Self.eventually {
                    (try? await api.get(leases, namespace: "kube-node-lease", name: "sim-0")) != nil
                })
            group.cancelAll()
        }
    }
}
