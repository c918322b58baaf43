import Foundation
import SkiffControllers
import SkiffModel
import Testing

/// Micro benchmark of the scheduling core: 10 000 pods from 20 ReplicaSets onto 5 000 nodes, each decision
/// assumed into the cache and then confirmed as the watch event would. Run in release:
/// `SKIFF_BENCH=1 swift test -c release --scratch-path .build-sched --filter SchedulerBenchmark`.
@Suite("SchedulerBenchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SKIFF_BENCH"] == "1"))
struct SchedulerBenchmark {
    static let nodeCount = 5_000
    static let podCount = 10_000

    @Test func tenThousandPodsOnFiveThousandNodes() throws {
        let nodes = (0..<Self.nodeCount).map { index in
            SchedulerFixtures.node(
                "node-\(index)", cpu: "4", memory: "16Gi", labels: [NodeView.zoneLabel: "zone-\(index % 3)"])
        }
        let podJSON = (0..<Self.podCount).map { index in
            SchedulerFixtures.podJSON(
                "web-\(index)", uid: "pod-uid-\(index)", cpu: "100m", memory: "128Mi", owner: "web-\(index % 20)")
        }

        let parseStart = ContinuousClock.now
        let pods = podJSON.map(PodView.init)
        let parseTime = ContinuousClock.now - parseStart

        var cache = SchedulerCache()
        for node in nodes { cache.upsert(node: node) }
        var scheduler = PodScheduler(cache: cache)
        cache = SchedulerCache()

        var evaluated = 0
        let start = ContinuousClock.now
        for pod in pods {
            let result = try scheduler.scheduleAndAssume(pod)
            evaluated += result.evaluatedNodes
            var bound = pod
            bound.nodeName = result.nodeName
            scheduler.cache.upsert(pod: bound)
        }
        let elapsed = ContinuousClock.now - start

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let parseSeconds =
            Double(parseTime.components.seconds) + Double(parseTime.components.attoseconds) / 1e18
        let perPodMicros = seconds / Double(Self.podCount) * 1e6
        print(
            String(
                format: "scheduler core: %d pods on %d nodes in %.3f s = %.0f pods/s "
                    + "(%.1f µs/pod, %.0f nodes evaluated/pod); PodView parse %.1f µs/pod",
                Self.podCount, Self.nodeCount, seconds, Double(Self.podCount) / seconds, perPodMicros,
                Double(evaluated) / Double(Self.podCount), parseSeconds / Double(Self.podCount) * 1e6))

        var perNode: [Int: Int] = [:]
        for name in scheduler.cache.nodeNames {
            perNode[scheduler.cache.nodeInfo(named: name)?.podCount ?? 0, default: 0] += 1
        }
        print("scheduler core: nodes by pod count \(perNode.sorted { $0.key < $1.key })")
        #expect(scheduler.cache.podCount == Self.podCount)
    }
}
