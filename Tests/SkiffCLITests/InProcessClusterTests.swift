import Logging
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffModel
import SkiffStore
import Testing

/// The in-process cluster API and informers against a real registry, with simulated nodes running pods.
@Suite struct InProcessClusterTests {
    @Test func informerSeesChangesAndSimulatedNodesRunBoundPods() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        let pods = api.type("", "v1", "pods")
        let informer = Informer(api: api, type: pods, logger: Logger(label: "test"))
        let seen = Shared<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run { event in seen.withLock { $0.append("\(event.kind.rawValue) \(event.object.name ?? "")") } } }
            group.addTask { try await SimulatedNodes(api: api, count: 2, heartbeat: .milliseconds(100), logger: Logger(label: "sim")).run() }
            let pod: JSON = ["metadata": ["name": "web"], "spec": ["nodeName": "sim-1", "containers": [["name": "c", "image": "busybox"]]]]
            _ = try await api.create(pods, namespace: "default", object: pod, fieldManager: "test")
            var phase = ""
            for _ in 0..<100 where phase != "Running" {
                try await Task.sleep(for: .milliseconds(50))
                phase = informer.get("default/web")?["status"]["phase"].stringValue ?? ""
            }
            #expect(phase == "Running", "the simulated node reports its bound pod Running")
            try await api.delete(pods, namespace: "default", name: "web", options: .emptyObject)
            for _ in 0..<100 where informer.get("default/web") != nil { try await Task.sleep(for: .milliseconds(20)) }
            #expect(informer.get("default/web") == nil)
            group.cancelAll()
        }
        let events = seen.withLock { $0 }
        #expect(events.first == "ADDED web")
        #expect(events.contains("MODIFIED web"))
        #expect(events.last == "DELETED web")
        let nodes = try await api.list(api.type("", "v1", "nodes"), namespace: nil, options: ListOptions())
        #expect(nodes.items.compactMap(\.name).sorted() == ["sim-0", "sim-1"])
    }
}

import Synchronization

final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
