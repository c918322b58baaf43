import Foundation
import Logging
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import SkiffTesting
import Testing

@testable import SkiffAgent

/// The scheduler judges pods only once it knows the nodes: a pod waiting when it starts is not reported
/// unschedulable because the node list had not arrived yet.
@Suite(.timeLimit(.minutes(1))) struct SchedulerStartTests {
    @Test func aWaitingPodIsNotReportedUnschedulableBeforeTheNodesAreKnown() async throws {
        let logger = Logger(label: "scheduler-start")
        let registry = ObjectRegistry(store: MemoryStore(), logger: logger)
        try await registry.seed()
        let admin = InProcessClusterAPI(registry: registry)
        let pods = admin.type("", "v1", "pods")
        let events = admin.type("", "v1", "events")
        _ = try await admin.create(
            admin.type("", "v1", "nodes"), namespace: nil, object: SimulatedNodes.node("edge-0", index: 0),
            fieldManager: "test")
        let pod: JSON = ["metadata": ["name": "web"], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
        _ = try await admin.create(pods, namespace: "default", object: pod, fieldManager: "test")
        // The node list is held back until `nodesArrive` opens.
        let nodesArrive = Latch()
        let api = InterceptingClusterAPI(base: admin) { call in
            if call.verb == .list, call.type.resource == "nodes" { await nodesArrive.wait() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await SchedulerService(api: api, workers: 1, logger: logger).run() }
            // The pod informer has the pod long before this; a scheduler that judged it now would say so in an event.
            try await Task.sleep(for: .milliseconds(500))
            nodesArrive.open()
            var node = ""
            for _ in 0..<200 where node.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                node =
                    try await admin.get(pods, namespace: "default", name: "web")["spec"]["nodeName"].stringValue ?? ""
            }
            #expect(node == "edge-0")
            // The scheduler's own Scheduled event, once written, proves its earlier events would be there too.
            var reasons: [String] = []
            for _ in 0..<200 where !reasons.contains("Scheduled") {
                reasons = try await admin.list(events, namespace: "default", options: ListOptions()).items.compactMap {
                    $0["reason"].stringValue
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(reasons.contains("Scheduled"))
            #expect(!reasons.contains("FailedScheduling"), "\(reasons)")
            group.cancelAll()
        }
    }
}
