import SkiffModel
import Testing

@testable import SkiffControllers

@Suite("Scheduler filters")
struct SchedulerFilterTests {
    typealias F = SchedulerFixtures

    private func reasons(_ pod: PodView, on node: NodeView, pods: [PodView] = []) -> [String] {
        var scheduler = F.scheduler([node])
        for existing in pods { scheduler.cache.upsert(pod: existing) }
        return scheduler.filterReasons(for: pod, onNode: node.name) ?? ["<no node>"]
    }

    @Test func fittingNodeGivesNoReasons() {
        #expect(reasons(F.pod("p"), on: F.node("n1")) == [])
        #expect(F.scheduler([F.node("n1")]).filterReasons(for: F.pod("p"), onNode: "missing") == nil)
    }

    @Test func cordonedNodeIsUnschedulableUnlessTolerated() {
        let node = F.node("n1", unschedulable: true)
        #expect(reasons(F.pod("p"), on: node) == ["node(s) were unschedulable"])
        let tolerant = F.pod(
            "p",
            tolerations: [["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]])
        #expect(reasons(tolerant, on: node) == [])
        let everything = F.pod("p", tolerations: [["operator": "Exists"]])
        #expect(reasons(everything, on: node) == [])
    }

    @Test func nodeNameMustMatch() {
        #expect(
            reasons(F.pod("p", nodeName: "n2"), on: F.node("n1")) == ["node(s) didn't match the requested node name"])
        #expect(reasons(F.pod("p", nodeName: "n1"), on: F.node("n1")) == [])
    }

    @Test func nodeSelectorMustMatchEveryLabel() {
        let node = F.node("n1", labels: ["disk": "ssd", "zone": "a"])
        #expect(reasons(F.pod("p", nodeSelector: ["disk": "ssd"]), on: node) == [])
        #expect(reasons(F.pod("p", nodeSelector: ["disk": "ssd", "zone": "a"]), on: node) == [])
        #expect(
            reasons(F.pod("p", nodeSelector: ["disk": "hdd"]), on: node)
                == ["node(s) didn't match Pod's node affinity/selector"])
        #expect(
            reasons(F.pod("p", nodeSelector: ["gpu": "yes"]), on: node)
                == ["node(s) didn't match Pod's node affinity/selector"])
    }

    static let expressionCases: [(String, String, [String], Bool)] = [
        ("disk", "In", ["ssd", "nvme"], true),
        ("disk", "In", ["hdd"], false),
        ("missing", "In", ["x"], false),
        ("disk", "NotIn", ["hdd"], true),
        ("disk", "NotIn", ["ssd"], false),
        ("missing", "NotIn", ["x"], true),
        ("disk", "Exists", [], true),
        ("missing", "Exists", [], false),
        ("missing", "DoesNotExist", [], true),
        ("disk", "DoesNotExist", [], false),
        ("cores", "Gt", ["8"], true),
        ("cores", "Gt", ["16"], false),
        ("cores", "Lt", ["32"], true),
        ("cores", "Lt", ["16"], false),
        ("disk", "Gt", ["1"], false),  // label is not an integer
        ("cores", "Gt", ["x"], false),  // invalid bound: the term matches nothing
        ("disk", "In", [], false),  // invalid: In needs values
        ("disk", "Exists", ["ssd"], false),  // invalid: Exists takes none
        ("disk", "Bogus", ["ssd"], false),
    ]

    @Test(arguments: expressionCases)
    func requiredAffinityOperators(key: String, op: String, values: [String], matches: Bool) {
        let node = F.node("n1", labels: ["disk": "ssd", "cores": "16"])
        let pod = F.pod("p", affinity: F.requiredAffinity([[F.expression(key, op, values)]]))
        #expect(reasons(pod, on: node) == (matches ? [] : ["node(s) didn't match Pod's node affinity/selector"]))
    }

    @Test func requiredAffinityTermsAreOredAndExpressionsAnded() {
        let node = F.node("n1", labels: ["disk": "ssd", "zone": "a"])
        let anded = F.pod(
            "p",
            affinity: F.requiredAffinity([[F.expression("disk", "In", ["ssd"]), F.expression("zone", "In", ["b"])]]))
        #expect(reasons(anded, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
        let ored = F.pod(
            "p", affinity: F.requiredAffinity([[F.expression("zone", "In", ["b"])], [F.expression("disk", "Exists")]]))
        #expect(reasons(ored, on: node) == [])
        // An empty term matches nothing, and a nodeSelector must hold as well as the affinity.
        let empty = F.pod("p", affinity: F.requiredAffinity([[]]))
        #expect(reasons(empty, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
        let both = F.pod(
            "p", nodeSelector: ["zone": "b"], affinity: F.requiredAffinity([[F.expression("disk", "Exists")]]))
        #expect(reasons(both, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
    }

    @Test func matchFieldsOnMetadataName() {
        let node = F.node("n1")
        let pinned = F.pod(
            "p", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "In", ["n1"])]]))
        #expect(reasons(pinned, on: node) == [])
        let elsewhere = F.pod(
            "p", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "In", ["n2"])]]))
        #expect(reasons(elsewhere, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
        let notIn = F.pod(
            "p", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "NotIn", ["n2"])]]))
        #expect(reasons(notIn, on: node) == [])
        // Field selectors take exactly one value and only In/NotIn.
        let twoValues = F.pod(
            "p", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "In", ["n1", "n2"])]]))
        #expect(reasons(twoValues, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
        let exists = F.pod(
            "p", affinity: F.requiredAffinity([], fields: [[F.expression("metadata.name", "Exists")]]))
        #expect(reasons(exists, on: node) == ["node(s) didn't match Pod's node affinity/selector"])
    }

    @Test func noScheduleAndNoExecuteTaintsMustBeTolerated() {
        let node = F.node(
            "n1",
            taints: [F.taint("node-role.kubernetes.io/control-plane"), F.taint("dedicated", "db", "NoExecute")])
        #expect(
            reasons(F.pod("p"), on: node) == ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]
        )
        let partly = F.pod(
            "p", tolerations: [["key": "node-role.kubernetes.io/control-plane", "operator": "Exists"]])
        #expect(reasons(partly, on: node) == ["node(s) had untolerated taint {dedicated: db}"])
        let wrongValue = F.pod(
            "p",
            tolerations: [
                ["key": "node-role.kubernetes.io/control-plane", "operator": "Exists"],
                ["key": "dedicated", "operator": "Equal", "value": "web"],
            ])
        #expect(reasons(wrongValue, on: node) == ["node(s) had untolerated taint {dedicated: db}"])
        let fully = F.pod(
            "p",
            tolerations: [
                ["key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"],
                ["key": "dedicated", "value": "db", "effect": "NoExecute"],
            ])
        #expect(reasons(fully, on: node) == [])
    }

    @Test func preferNoScheduleTaintsDoNotFilter() {
        let node = F.node("n1", taints: [F.taint("spot", "true", "PreferNoSchedule")])
        #expect(reasons(F.pod("p"), on: node) == [])
    }

    @Test func notReadyAndUnreachableNodesCarryTheirConditionTaints() {
        #expect(
            reasons(F.pod("p"), on: F.node("n1", ready: "False"))
                == ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"])
        #expect(
            reasons(F.pod("p"), on: F.node("n1", ready: "Unknown"))
                == ["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"])
        #expect(
            reasons(F.pod("p"), on: F.node("n1", ready: nil))
                == ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"])
        let tolerant = F.pod("p", tolerations: [["key": "node.kubernetes.io/not-ready", "operator": "Exists"]])
        #expect(reasons(tolerant, on: F.node("n1", ready: "False")) == [])
    }

    @Test func filtersRunInUpstreamOrderAndStopAtTheFirstFailure() {
        let node = F.node("n1", cpu: "1", labels: ["disk": "hdd"], taints: [F.taint("t")], unschedulable: true)
        let pod = F.pod("p", cpu: "2", nodeSelector: ["disk": "ssd"])
        #expect(reasons(pod, on: node) == ["node(s) were unschedulable"])
    }

    @Test func resourcesAgainstAllocatableMinusRequested() {
        let node = F.node("n1", cpu: "1", memory: "1Gi", pods: 3)
        let existing = [F.pod("a", cpu: "600m", memory: "512Mi", nodeName: "n1")]
        #expect(reasons(F.pod("p", cpu: "400m", memory: "512Mi"), on: node, pods: existing) == [])
        #expect(reasons(F.pod("p", cpu: "500m", memory: "256Mi"), on: node, pods: existing) == ["Insufficient cpu"])
        #expect(reasons(F.pod("p", cpu: "100m", memory: "513Mi"), on: node, pods: existing) == ["Insufficient memory"])
        #expect(
            reasons(F.pod("p", cpu: "2", memory: "2Gi"), on: node, pods: existing)
                == ["Insufficient cpu", "Insufficient memory"])
        // A pod without requests fits a full node as long as the pod count allows it.
        #expect(reasons(F.pod("p", cpu: nil, memory: nil), on: node, pods: existing) == [])
    }

    @Test func podCountLimit() {
        let node = F.node("n1", pods: 2)
        let existing = [F.pod("a", nodeName: "n1"), F.pod("b", nodeName: "n1")]
        #expect(reasons(F.pod("p"), on: node, pods: existing) == ["Too many pods"])
        #expect(reasons(F.pod("p", cpu: "8"), on: node, pods: existing) == ["Too many pods", "Insufficient cpu"])
    }

    @Test func extendedAndEphemeralResources() {
        let node = F.node("n1", extended: ["example.com/gpu": "1", "ephemeral-storage": "1Gi"])
        let gpu = F.pod("g", containers: [["name": "a", "resources": ["requests": ["example.com/gpu": "1"]]]])
        #expect(reasons(gpu, on: node) == [])
        #expect(
            reasons(
                gpu, on: node,
                pods: [
                    PodView(
                        F.podJSON(
                            "other", nodeName: "n1",
                            containers: [["name": "a", "resources": ["requests": ["example.com/gpu": "1"]]]]))
                ]) == ["Insufficient example.com/gpu"])
        let fpga = F.pod("f", containers: [["name": "a", "resources": ["requests": ["example.com/fpga": "1"]]]])
        #expect(reasons(fpga, on: node) == ["Insufficient example.com/fpga"])
        let disk = F.pod("d", containers: [["name": "a", "resources": ["requests": ["ephemeral-storage": "2Gi"]]]])
        #expect(reasons(disk, on: node) == ["Insufficient ephemeral-storage"])
    }

    @Test func hostPortsConflictByProtocolPortAndAddress() {
        let node = F.node("n1")
        let holder = F.pod("a", nodeName: "n1", ports: [["containerPort": 80, "hostPort": 8080]])
        let same = F.pod("p", ports: [["containerPort": 80, "hostPort": 8080]])
        #expect(
            reasons(same, on: node, pods: [holder]) == ["node(s) didn't have free ports for the requested pod ports"])
        let udp = F.pod("p", ports: [["containerPort": 80, "hostPort": 8080, "protocol": "UDP"]])
        #expect(reasons(udp, on: node, pods: [holder]) == [])
        let specificIP = F.pod("p", ports: [["containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"]])
        #expect(
            reasons(specificIP, on: node, pods: [holder])
                == ["node(s) didn't have free ports for the requested pod ports"])
        let boundIP = F.pod(
            "a", nodeName: "n1", ports: [["containerPort": 80, "hostPort": 9090, "hostIP": "10.0.0.1"]])
        let otherIP = F.pod("p", ports: [["containerPort": 80, "hostPort": 9090, "hostIP": "10.0.0.2"]])
        #expect(reasons(otherIP, on: node, pods: [boundIP]) == [])
        let noHostPort = F.pod("p", ports: [["containerPort": 8080]])
        #expect(reasons(noHostPort, on: node, pods: [holder]) == [])
    }
}
