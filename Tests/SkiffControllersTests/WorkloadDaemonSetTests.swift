import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadDaemonSetTests {
    let nodes = [
        Fixture.node("n1"), Fixture.node("n2", taints: [Fixture.taint("dedicated", "NoSchedule", value: "db")]),
        Fixture.node("n3", taints: [Fixture.taint("node.kubernetes.io/not-ready", "NoExecute")]),
        Fixture.node("n4", taints: [Fixture.taint("node.kubernetes.io/unschedulable", "NoSchedule")]),
    ]

    @Test func onePinnedPodPerEligibleNode() throws {
        var cluster = FakeCluster()
        cluster.put(.daemonSets, Fixture.daemonSet())
        let result = cluster.reconcileDaemonSet(nodes: nodes)
        let pods = result.created(.pods)
        // n2's NoSchedule taint is not tolerated; not-ready and cordoned nodes are, by the default tolerations.
        #expect(pods.compactMap(DaemonSetReconciler.targetNode).sorted() == ["n1", "n3", "n4"])
        let pod = try #require(pods.first)
        #expect(pod["metadata"]["generateName"] == "agent-")
        #expect(pod["spec"]["nodeName"].isNull)
        #expect(
            pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
                "nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n1"]]]]]
            ])
        let tolerations = pod["spec"]["tolerations"].arrayValue ?? []
        #expect(tolerations.count == 6)
        #expect(
            tolerations.contains(["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"])
        )
        let revision = try #require(result.created(.controllerRevisions).first)
        let hash = try #require(revision["metadata"]["labels"]["controller-revision-hash"].stringValue)
        #expect(revision.name == "agent-\(hash)")
        #expect(revision["revision"] == 1)
        #expect(revision["data"]["spec"]["template"]["$patch"] == "replace")
        #expect(pod["metadata"]["labels"]["controller-revision-hash"] == .string(hash))
        let status = try #require(result.statusUpdates(.daemonSets).first)["status"]
        #expect(
            status == [
                "currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 3, "numberReady": 0,
                "observedGeneration": 1, "numberUnavailable": 3,
            ])
    }

    @Test func statusWhenRunning() throws {
        var cluster = FakeCluster()
        cluster.put(.daemonSets, Fixture.daemonSet())
        _ = cluster.reconcileDaemonSet(nodes: nodes)
        cluster.runPods()
        _ = cluster.reconcileDaemonSet(nodes: nodes)
        let status = try #require(cluster.get(.daemonSets, "agent"))["status"]
        #expect(
            status == [
                "currentNumberScheduled": 3, "numberMisscheduled": 0, "desiredNumberScheduled": 3, "numberReady": 3,
                "observedGeneration": 1, "updatedNumberScheduled": 3, "numberAvailable": 3,
            ])
        // Nothing else to do.
        #expect(cluster.reconcileDaemonSet(nodes: nodes).actions.isEmpty)
    }

    @Test func nodeSelectorAndAffinityLimitNodes() {
        var ds = Fixture.daemonSet()
        ds["spec"]["template"]["spec"]["nodeSelector"] = ["disk": "ssd"]
        let labeled = [
            Fixture.node("a", labels: ["disk": "ssd", "zone": "z1"]), Fixture.node("b", labels: ["disk": "hdd"]),
            Fixture.node("c", labels: ["disk": "ssd", "zone": "z2"]),
        ]
        var result = DaemonSetReconciler.reconcile(daemonSet: ds, nodes: labeled, pods: [], now: Fixture.epoch)
        #expect(result.created(.pods).compactMap(DaemonSetReconciler.targetNode).sorted() == ["a", "c"])
        ds["spec"]["template"]["spec"]["affinity"] = [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": [
                        ["matchExpressions": [["key": "zone", "operator": "NotIn", "values": ["z1"]]]]
                    ]
                ]
            ]
        ]
        result = DaemonSetReconciler.reconcile(daemonSet: ds, nodes: labeled, pods: [], now: Fixture.epoch)
        #expect(result.created(.pods).compactMap(DaemonSetReconciler.targetNode) == ["c"])
        // The created pod's affinity is replaced by the pin to its node.
        #expect(
            result.created(.pods)[0]["spec"]["affinity"]["nodeAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"].isNull)
    }

    @Test func taintsDecideRunAndContinue() {
        let ds = Fixture.daemonSet()
        #expect(DaemonSetReconciler.shouldRun(daemonSet: ds, on: Fixture.node("x")) == (true, true))
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: ds, on: Fixture.node("x", taints: [Fixture.taint("gpu", "NoSchedule")])) == (false, true))
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: ds, on: Fixture.node("x", taints: [Fixture.taint("gpu", "NoExecute")])) == (false, false))
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: ds, on: Fixture.node("x", taints: [Fixture.taint("gpu", "PreferNoSchedule")])) == (
                    true, true
                ))
        var tolerant = ds
        tolerant["spec"]["template"]["spec"]["tolerations"] = [
            ["key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoExecute"]
        ]
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: tolerant, on: Fixture.node("x", taints: [Fixture.taint("gpu", "NoExecute", value: "yes")]))
                == (true, true))
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: tolerant, on: Fixture.node("x", taints: [Fixture.taint("gpu", "NoExecute", value: "no")]))
                == (false, false))
        tolerant["spec"]["template"]["spec"]["tolerations"] = [["operator": "Exists"]]
        #expect(
            DaemonSetReconciler.shouldRun(
                daemonSet: tolerant, on: Fixture.node("x", taints: [Fixture.taint("anything", "NoExecute")])) == (
                    true, true
                ))
    }

    @Test func newNoExecuteTaintEvictsButNoScheduleKeeps() throws {
        var cluster = FakeCluster()
        cluster.put(.daemonSets, Fixture.daemonSet())
        var current = [Fixture.node("a"), Fixture.node("b")]
        _ = cluster.reconcileDaemonSet(nodes: current)
        cluster.runPods()
        current = [
            Fixture.node("a", taints: [Fixture.taint("maintenance", "NoSchedule")]),
            Fixture.node("b", taints: [Fixture.taint("maintenance", "NoExecute")]),
        ]
        let result = cluster.reconcileDaemonSet(nodes: current)
        #expect(result.deleted(.pods).count == 1)
        #expect(cluster.podsByNode.keys.sorted() == ["a"])
        let status = try #require(cluster.get(.daemonSets, "agent"))["status"]
        #expect(status.int("desiredNumberScheduled") == 0)
        #expect(status.int("numberMisscheduled") == 2)  // counted before b's pod went
    }

    @Test func removesDuplicateAndFailedPods() throws {
        let ds = Fixture.daemonSet()
        let a1 = Fixture.pod(
            "a1", owner: ds, ownerResource: .daemonSets, labels: ["app": "agent"], node: "a", created: 0)
        let a2 = Fixture.pod(
            "a2", owner: ds, ownerResource: .daemonSets, labels: ["app": "agent"], node: "a", created: 5)
        let b1 = Fixture.pod(
            "b1", owner: ds, ownerResource: .daemonSets, labels: ["app": "agent"], phase: "Failed", ready: false,
            node: "b")
        let result = DaemonSetReconciler.reconcile(
            daemonSet: ds, nodes: [Fixture.node("a"), Fixture.node("b")], pods: [a1, a2, b1], now: Fixture.epoch)
        #expect(result.deleted(.pods).sorted() == ["a2", "b1"])
        #expect(
            result.events.contains {
                $0.reason == "FailedDaemonPod"
                    && $0.message == "Found failed daemon pod default/b1 on node b, will try to kill it"
            })
    }

    /// Rolls a new image across `count` nodes and checks availability at every step.
    func roll(count: Int, maxUnavailable: JSON, maxSurge: JSON, minAvailable: Int, maxPods: Int) throws -> FakeCluster {
        let fleet = (1...count).map { Fixture.node("n\($0)") }
        var cluster = FakeCluster()
        cluster.put(.daemonSets, Fixture.daemonSet(maxUnavailable: maxUnavailable, maxSurge: maxSurge))
        for _ in 0..<3 {
            _ = cluster.reconcileDaemonSet(nodes: fleet)
            cluster.runPods()
        }
        #expect(cluster.podCounts == (count, count))
        var ds = try #require(cluster.get(.daemonSets, "agent"))
        ds["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:2"
        cluster.apply([.update(resource: .daemonSets, object: ds)])
        var steps = 0
        while true {
            steps += 1
            try #require(steps < 40, "rollout did not finish")
            _ = cluster.reconcileDaemonSet(nodes: fleet)
            let counts = cluster.podCounts
            #expect(counts.ready >= minAvailable, "step \(steps): \(counts.ready) ready")
            #expect(counts.total <= maxPods, "step \(steps): \(counts.total) pods")
            #expect(cluster.podsByNode.values.allSatisfy { $0.count <= 2 })
            cluster.runPods()
            cluster.clock = cluster.clock.addingTimeInterval(1)
            let status = cluster.get(.daemonSets, "agent")?["status"] ?? .null
            if status.int("updatedNumberScheduled") == count && status.int("numberAvailable") == count
                && status.int("observedGeneration") == 2 && counts.total == count
            {
                break
            }
        }
        #expect(cluster.list(.pods).allSatisfy { $0["spec"]["containers"][0]["image"] == "agent:2" })
        #expect(cluster.list(.controllerRevisions).map { $0["revision"].intValue ?? 0 }.sorted() == [1, 2])
        return cluster
    }

    @Test func rollingUpdateByMaxUnavailable() throws {
        _ = try roll(count: 5, maxUnavailable: 2, maxSurge: 0, minAvailable: 3, maxPods: 5)
    }

    @Test func rollingUpdateByPercentRoundsUp() throws {
        // 10% of 4 nodes rounds up to 1 for DaemonSets.
        _ = try roll(count: 4, maxUnavailable: "10%", maxSurge: 0, minAvailable: 3, maxPods: 4)
    }

    @Test func rollingUpdateWithSurgeKeepsEveryNodeServed() throws {
        _ = try roll(count: 4, maxUnavailable: 0, maxSurge: 1, minAvailable: 4, maxPods: 5)
    }

    @Test func templateRevertReusesRevisionWithNewNumber() throws {
        var cluster = try roll(count: 2, maxUnavailable: 1, maxSurge: 0, minAvailable: 1, maxPods: 2)
        var ds = try #require(cluster.get(.daemonSets, "agent"))
        ds["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:1"
        cluster.apply([.update(resource: .daemonSets, object: ds)])
        _ = cluster.reconcileDaemonSet(nodes: [Fixture.node("n1"), Fixture.node("n2")])
        let numbers = cluster.list(.controllerRevisions).map { $0["revision"].intValue ?? 0 }.sorted()
        #expect(numbers == [2, 3])
        #expect(cluster.list(.controllerRevisions).count == 2)
    }
}
