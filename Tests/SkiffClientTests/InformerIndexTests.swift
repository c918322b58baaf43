import Logging
import SkiffClient
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@Suite struct InformerIndexTests {
    func pod(_ name: String, _ namespace: String, controller: String? = nil, other: String? = nil) -> JSON {
        var pod: JSON = ["metadata": ["name": .string(name), "namespace": .string(namespace)]]
        var references: [JSON] = []
        if let other { references.append(["kind": "Thing", "name": "x", "uid": .string(other)]) }
        if let controller {
            references.append(["kind": "ReplicaSet", "name": "rs", "uid": .string(controller), "controller": true])
        }
        if !references.isEmpty { pod["metadata"]["ownerReferences"] = .array(references) }
        return pod
    }

    func names(_ objects: [JSON]) -> [String] { objects.compactMap(\.name).sorted() }

    /// Runs an informer over a cluster holding `initial`, applies `events` there once it has listed, waits until it
    /// has seen every one, then hands it to `check`.
    func afterScript(initial: [JSON], events: [ClusterEvent], check: (Informer) -> Void) async {
        let cluster = FakeClusterAPI()
        for object in initial { cluster.put("pods", object) }
        let pods = cluster.resources.lookup(group: "", version: "v1", resource: "pods")!
        let informer = Informer(api: cluster, type: pods, logger: Logger(label: "test"))
        let seen = Atomic<Int>(0)
        let task = Task { await informer.run { _ in seen.add(1, ordering: .relaxed) } }
        while seen.load(ordering: .relaxed) < initial.count || cluster.openWatches == 0 { await Task.yield() }
        for event in events {
            if event.kind == .deleted {
                cluster.remove("pods", Informer.key(event.object))
            } else {
                cluster.put("pods", event.object)
            }
        }
        while seen.load(ordering: .relaxed) < initial.count + events.count { await Task.yield() }
        check(informer)
        task.cancel()
    }

    @Test func objectsAreFoundByNamespaceControllerAndOrphanhood() async {
        await afterScript(
            initial: [
                pod("a", "prod", controller: "rs-1"), pod("b", "prod", controller: "rs-1", other: "thing-1"),
                pod("c", "prod"), pod("d", "dev", controller: "rs-2"), pod("e", "dev", other: "thing-1"),
            ],
            events: []
        ) { informer in
            #expect(names(informer.objects(inNamespace: "prod")) == ["a", "b", "c"])
            #expect(names(informer.objects(controlledBy: "rs-1")) == ["a", "b"])
            // A non-controller owner reference does not make an object controlled.
            #expect(names(informer.objects(controlledBy: "thing-1")) == [])
            #expect(names(informer.orphans(inNamespace: "prod")) == ["c"])
            #expect(names(informer.orphans(inNamespace: "dev")) == ["e"])
            #expect(informer.objects(inNamespace: "staging").isEmpty)
        }
    }

    @Test func changesMoveObjectsBetweenIndexesAndDeletesRemoveThem() async {
        await afterScript(
            initial: [pod("a", "prod", controller: "rs-1"), pod("b", "prod")],
            events: [
                // Released by its controller, adopted by another, deleted.
                ClusterEvent(kind: .modified, object: pod("a", "prod")),
                ClusterEvent(kind: .modified, object: pod("b", "prod", controller: "rs-2")),
                ClusterEvent(kind: .added, object: pod("c", "prod", controller: "rs-1")),
                ClusterEvent(kind: .deleted, object: pod("c", "prod", controller: "rs-1")),
            ]
        ) { informer in
            #expect(names(informer.objects(controlledBy: "rs-1")) == [])
            #expect(names(informer.objects(controlledBy: "rs-2")) == ["b"])
            #expect(names(informer.orphans(inNamespace: "prod")) == ["a"])
            #expect(names(informer.objects(inNamespace: "prod")) == ["a", "b"])
            #expect(informer.get("prod/c") == nil)
            #expect(informer.objects.count == 2)
        }
    }
}
