import ArgumentParser
import Foundation
import Logging
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import Synchronization

/// `skiff-bench scheduler`: the server's control plane in-process (SQLite store, registry, scheduler, Deployment and
/// ReplicaSet controllers) with N simulated nodes; Deployments totalling P replicas are created at once and the time
/// from the first create to the last pod bound is measured, with per-pod create → bound latency.
struct SchedulerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scheduler")

    @Option var nodes = 5_000
    @Option var pods = 10_000
    @Option var deployments = 10
    @Option(help: "Folder for the SQLite database.") var dir: String

    func run() async throws {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .warning
        let logger = quiet
        let store = try SQLiteStore(path: "\(dir)/sched-\(UUID().uuidString.prefix(6)).db", logger: logger)
        defer { store.close() }
        let registry = ObjectRegistry(store: store, logger: logger, garbageCollection: true)
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        let created = Shared<[String: ContinuousClock.Instant]>([:])
        let bound = Shared<[String: ContinuousClock.Instant]>([:])
        let clock = ContinuousClock()
        let nodes = self.nodes
        print("registering \(nodes) simulated nodes…")
        try await withThrowingTaskGroup(of: Void.self) { group in
            let registered = clock.now
            group.addTask {
                try await SimulatedNodes(api: api, count: nodes, heartbeat: .seconds(30), logger: logger).run()
            }
            while try await api.list(api.type("", "v1", "nodes"), namespace: nil, options: ListOptions()).items.count
                < nodes
            {
                try await Task.sleep(for: .milliseconds(200))
            }
            print("nodes registered in \(clock.now - registered); RSS \(Self.rss()) MB")
            group.addTask { try await SchedulerService(api: api, logger: logger).run() }
            group.addTask { try await WorkloadController.deployments(api: api, logger: logger).run() }
            group.addTask { try await WorkloadController.replicaSets(api: api, logger: logger).run() }
            let podsInformer = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
            group.addTask {
                await podsInformer.run { event in
                    guard let name = event.object.name else { return }
                    let now = clock.now
                    if event.kind == .added { created.withLock { if $0[name] == nil { $0[name] = now } } }
                    if !(event.object["spec"]["nodeName"].stringValue ?? "").isEmpty {
                        created.withLock { if $0[name] == nil { $0[name] = now } }
                        bound.withLock { if $0[name] == nil { $0[name] = now } }
                    }
                }
            }
            try await Task.sleep(for: .seconds(1))
            let start = clock.now
            let perDeployment = pods / deployments
            for index in 0..<deployments {
                let deployment: JSON = [
                    "metadata": ["name": .string("load-\(index)")],
                    "spec": [
                        "replicas": .int(perDeployment),
                        "selector": ["matchLabels": ["app": .string("load-\(index)")]],
                        "template": [
                            "metadata": ["labels": ["app": .string("load-\(index)")]],
                            "spec": [
                                "containers": [
                                    [
                                        "name": "app", "image": "busybox",
                                        "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]],
                                    ]
                                ]
                            ],
                        ],
                    ],
                ]
                _ = try await api.create(
                    api.type("apps", "v1", "deployments"), namespace: "default", object: deployment,
                    fieldManager: "bench")
            }
            while bound.withLock({ $0.count }) < perDeployment * deployments {
                try await Task.sleep(for: .milliseconds(100))
                if clock.now - start > .seconds(600) {
                    print("timeout: \(bound.withLock { $0.count }) bound")
                    break
                }
            }
            let elapsed = LoadRunner.milliseconds(clock.now - start) / 1000
            let latencies = bound.withLock { bound in
                created.withLock { created in
                    bound.compactMap { name, at in created[name].map { LoadRunner.milliseconds(at - $0) } }.sorted()
                }
            }
            let count = latencies.count
            let p = { (q: Double) in latencies.isEmpty ? 0 : latencies[min(count - 1, Int(Double(count) * q))] }
            print(
                String(
                    format: "%d pods from %d Deployments bound on %d nodes in %.2f s: %.0f pods/s end to end", count,
                    deployments, nodes, elapsed, Double(count) / elapsed))
            print(
                String(
                    format: "create → bound: p50 %.0f ms, p99 %.0f ms; process RSS %@ MB; CPU %.1f s", p(0.5), p(0.99),
                    Self.rss(), Self.cpuSeconds()))
            print(
                "anchor NOT measured in this run: kube-scheduler's published scheduler_perf thresholds at 5000 nodes, 680–810 pods/s (ratio \(String(format: "%.2f", Double(count) / elapsed / 745))× the midpoint)"
            )
            group.cancelAll()
        }
    }

    static func rss() -> String { APIBenchmark.format(APIBenchmark.rssMegabytes(Int(getpid()))) }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
            usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
