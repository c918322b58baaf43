import Foundation
import Logging
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import Synchronization
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
            group.addTask {
                await informer.run { event in
                    seen.withLock { $0.append("\(event.kind.rawValue) \(event.object.name ?? "")") }
                }
            }
            group.addTask {
                try await SimulatedNodes(
                    api: api, count: 2, heartbeat: .milliseconds(100), logger: Logger(label: "sim")
                ).run()
            }
            let pod: JSON = [
                "metadata": ["name": "web"],
                "spec": ["nodeName": "sim-1", "containers": [["name": "c", "image": "busybox"]]],
            ]
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

    /// A CronJob spawns a Job when its schedule comes (the CronJob controller's clock runs two minutes ahead, so the
    /// test need not wait for a minute boundary); the Job's pod runs on a simulated node and the Job completes.
    @Test func cronJobSpawnsAJobThatCompletes() async throws {
        let logger = Logger(label: "test")
        let registry = ObjectRegistry(store: MemoryStore(), logger: logger, garbageCollection: true)
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        let jobs = api.type("batch", "v1", "jobs")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await SimulatedNodes(api: api, count: 2, heartbeat: .seconds(1), logger: logger).run() }
            group.addTask { try await SchedulerService(api: api, logger: logger).run() }
            group.addTask { try await WorkloadController.jobs(api: api, logger: logger).run() }
            group.addTask {
                try await WorkloadController.cronJobs(api: api, logger: logger, now: { Date() + 120 }).run()
            }
            let cronJob: JSON = [
                "metadata": ["name": "tick"],
                "spec": [
                    "schedule": "* * * * *",
                    "jobTemplate": [
                        "spec": [
                            "template": [
                                "spec": [
                                    "restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]],
                                ]
                            ]
                        ]
                    ],
                ],
            ]
            _ = try await api.create(
                api.type("batch", "v1", "cronjobs"), namespace: "default", object: cronJob, fieldManager: "test")
            var spawned: [JSON] = []
            var complete = false
            for _ in 0..<200 where !complete {
                try await Task.sleep(for: .milliseconds(50))
                spawned = try await api.list(jobs, namespace: "default", options: ListOptions()).items
                complete = spawned.contains { job in
                    (job["status"]["conditions"].arrayValue ?? []).contains {
                        $0["type"] == "Complete" && $0["status"] == "True"
                    }
                }
            }
            // One Job per schedule that came: one, or two if the test ran across a minute boundary.
            #expect((1...2).contains(spawned.count), "a Job for the schedule that came")
            #expect(spawned.allSatisfy { $0.name?.hasPrefix("tick-") == true })
            #expect(spawned.allSatisfy { $0["metadata"]["ownerReferences"][0]["kind"] == "CronJob" })
            #expect(complete, "the spawned Job completes on the simulated nodes")
            let cron = try await api.get(api.type("batch", "v1", "cronjobs"), namespace: "default", name: "tick")
            #expect(!cron["status"]["lastScheduleTime"].isNull)
            group.cancelAll()
        }
    }
}

final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
