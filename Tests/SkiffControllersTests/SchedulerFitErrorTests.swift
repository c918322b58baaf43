import SkiffModel
import Testing

@testable import SkiffControllers

@Suite("Scheduler failure messages")
struct SchedulerFitErrorTests {
    typealias F = SchedulerFixtures

    private func failure(_ pod: PodView, nodes: [NodeView], pods: [PodView] = []) -> FitError? {
        var scheduler = F.scheduler(nodes)
        for existing in pods { scheduler.cache.upsert(pod: existing) }
        do {
            let result = try scheduler.schedule(pod)
            Issue.record("expected a failure, got \(result.nodeName)")
            return nil
        } catch {
            return error
        }
    }

    @Test func noNodes() {
        let error = failure(F.pod("p"), nodes: [])
        #expect(error?.code == .noNodesAvailable)
        #expect(error?.message == "no nodes available to schedule pods")
    }

    @Test func combinedMessageCountsSortedAsUpstreamSortsThem() {
        let nodes = [
            F.node("worker-a", labels: ["disk": "hdd"]),
            F.node("control", labels: ["disk": "ssd"], taints: [F.taint("node-role.kubernetes.io/control-plane")]),
            F.node("worker-b", cpu: "1", labels: ["disk": "ssd"]),
        ]
        let error = failure(F.pod("p", cpu: "2", nodeSelector: ["disk": "ssd"]), nodes: nodes)
        #expect(
            error?.message
                == "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, "
                + "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        #expect(error?.unschedulablePlugins == [.nodeResourcesFit, .nodeAffinity, .taintToleration])
        #expect(error?.description == error?.message)
    }

    @Test func resolvableFailuresReportNoPreemptionVictims() {
        let nodes = [F.node("a", cpu: "1"), F.node("b", cpu: "1"), F.node("c", unschedulable: true)]
        let busy = [F.pod("x", cpu: "800m", nodeName: "a"), F.pod("y", cpu: "800m", nodeName: "b")]
        let error = failure(F.pod("p", cpu: "500m"), nodes: nodes, pods: busy)
        #expect(
            error?.message
                == "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. "
                + "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                + "2 No preemption victims found for incoming pod.")
    }

    @Test func severalReasonsFromOneNodeAllCount() {
        let nodes = [F.node("a", cpu: "1", memory: "1Gi"), F.node("b", cpu: "1", memory: "1Gi")]
        let error = failure(F.pod("p", cpu: "2", memory: "2Gi"), nodes: nodes)
        #expect(
            error?.message
                == "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. "
                + "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
        #expect(error?.reasons == ["Insufficient cpu": 2, "Insufficient memory": 2])
    }

    @Test func portsAndNodeNameAndNotReady() {
        let nodes = [F.node("a"), F.node("b"), F.node("c", ready: "False")]
        let holder = F.pod("h", nodeName: "a", ports: [["containerPort": 1, "hostPort": 80]])
        let error = failure(
            F.pod("p", nodeName: "a", ports: [["containerPort": 1, "hostPort": 80]]), nodes: nodes, pods: [holder])
        #expect(
            error?.message
                == "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
                + "2 node(s) didn't match the requested node name. "
                + "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
                + "2 Preemption is not helpful for scheduling.")
    }

    @Test func preemptionPolicyNever() {
        var json = F.podJSON("p", cpu: "8")
        json["spec"]["preemptionPolicy"] = "Never"
        let error = failure(PodView(json), nodes: [F.node("a")])
        #expect(
            error?.message
                == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
        )
    }

    @Test func pinnedToOneNodeReportsTheOthersAsRuledOutByThePreFilter() {
        let nodes = [F.node("a"), F.node("b"), F.node("c", ready: "False")]
        let daemon = F.pod(
            "ds", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "In", ["c"])]]))
        let error = failure(daemon, nodes: nodes)
        #expect(
            error?.message
                == "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
                + "2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        #expect(error?.unschedulablePlugins == [.taintToleration, .nodeAffinity])
    }

    @Test func pinnedToAMissingNode() {
        let daemon = F.pod(
            "ds", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "In", ["gone"])]]))
        #expect(
            failure(daemon, nodes: [F.node("a"), F.node("b")])?.message
                == "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
                + "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    }

    @Test func contradictoryPinnedNamesConflict() {
        let pod = F.pod(
            "p",
            affinity: F.requiredAffinity(
                [], fields: [[F.expression("metadata.name", "In", ["a"]), F.expression("metadata.name", "In", ["b"])]]))
        let error = failure(pod, nodes: [F.node("a"), F.node("b")])
        #expect(
            error?.message
                == "0/2 nodes are available: pod affinity terms conflict. "
                + "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    }

    @Test func countsSortAsStringsLikeGo() {
        var nodes = (0..<10).map { F.node("full-\($0)", cpu: "1") }
        nodes += [F.node("x", unschedulable: true), F.node("y", unschedulable: true)]
        let error = failure(F.pod("p", cpu: "2"), nodes: nodes)
        #expect(
            error?.message
                == "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable. "
                + "preemption: 0/12 nodes are available: 12 Preemption is not helpful for scheduling.")
    }

    @Test func taintsWithValuesAreCountedPerTaint() {
        let nodes = [
            F.node("a", taints: [F.taint("dedicated", "db")]),
            F.node("b", taints: [F.taint("dedicated", "db")]),
            F.node("c", taints: [F.taint("dedicated", "web", "NoExecute")]),
        ]
        #expect(
            failure(F.pod("p"), nodes: nodes)?.message
                == "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: web}, "
                + "2 node(s) had untolerated taint {dedicated: db}. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    }
}
