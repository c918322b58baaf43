import SkiffModel
import Testing

@testable import SkiffControllers

@Suite("Scheduler views")
struct SchedulerViewTests {
    @Test func podRequestsSumContainersAndTakeInitMaximumAndOverhead() throws {
        let pod = PodView(
            try JSON(
                parsing: """
                    {"metadata":{"name":"p","namespace":"ns","uid":"u1"},
                     "spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}},
                                           {"name":"b","resources":{"requests":{"cpu":"250m","example.com/gpu":"1"}}}],
                             "initContainers":[{"name":"big","resources":{"requests":{"cpu":"2","memory":"1Mi"}}},
                                               {"name":"small","resources":{"requests":{"memory":"128Mi"}}}],
                             "overhead":{"cpu":"10m","memory":"1Mi"}}}
                    """))
        // cpu: max(500m, 2000m) + 10m; memory: max(64Mi, 128Mi) + 1Mi.
        #expect(pod.requests.milliCPU == 2010)
        #expect(pod.requests.memory == 129 * 1024 * 1024)
        #expect(pod.requests.scalars == ["example.com/gpu": 1])
        #expect(pod.key == "u1")
        #expect(pod.schedulerName == "default-scheduler")
        #expect(pod.needsScheduling())
    }

    @Test func restartableInitContainersAddToTheSumAndToLaterInitContainers() throws {
        let pod = PodView(
            try JSON(
                parsing: """
                    {"metadata":{"name":"p","uid":"u"},
                     "spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"1"}}}],
                             "initContainers":[{"name":"sidecar","restartPolicy":"Always",
                                                "resources":{"requests":{"cpu":"500m"}},
                                                "ports":[{"containerPort":80,"hostPort":8080}]},
                                               {"name":"setup","resources":{"requests":{"cpu":"1200m"}}}]}}
                    """))
        // Containers 1000m + sidecar 500m = 1500m; setup runs beside the sidecar: 1200m + 500m = 1700m wins.
        #expect(pod.requests.milliCPU == 1700)
        #expect(pod.hostPorts == [HostPort(port: 8080)])
    }

    @Test func limitsStandInForMissingRequestsAndScoringDefaultsFillGaps() throws {
        let pod = PodView(
            try JSON(
                parsing: """
                    {"metadata":{"name":"p","uid":"u"},
                     "spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"300m"}}},
                                           {"name":"b"},
                                           {"name":"c","resources":{"requests":{"cpu":"0","memory":"0"}}}]}}
                    """))
        #expect(pod.requests == ResourceAmounts(milliCPU: 300))
        // a: cpu 300m + memory default; b: both defaults; c: explicit zeros stay zero.
        #expect(pod.nonZeroRequests.milliCPU == 300 + 100)
        #expect(pod.nonZeroRequests.memory == 2 * PodView.defaultMemoryRequest)
    }

    @Test func podSchedulingFields() throws {
        let pod = PodView(
            try JSON(
                parsing: """
                    {"metadata":{"name":"web-1","namespace":"prod","uid":"u",
                                 "ownerReferences":[{"kind":"Deployment","name":"x","uid":"d1"},
                                                    {"kind":"ReplicaSet","name":"web","uid":"rs1","controller":true}]},
                     "spec":{"nodeSelector":{"disk":"ssd"},"priority":100,"preemptionPolicy":"Never",
                             "schedulingGates":[{"name":"wait"}],
                             "tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}],
                             "containers":[{"name":"a","ports":[{"containerPort":80},
                                                                 {"containerPort":53,"hostPort":53,"protocol":"UDP","hostIP":"10.0.0.1"}]}]},
                     "status":{"phase":"Pending"}}
                    """))
        #expect(pod.controller == ControllerReference(uid: "rs1", kind: "ReplicaSet", name: "web"))
        #expect(pod.nodeSelector == ["disk": "ssd"])
        #expect(pod.priority == 100)
        #expect(!pod.mayPreempt)
        #expect(pod.hasSchedulingGates)
        #expect(!pod.needsScheduling())
        #expect(pod.tolerations == [Toleration(key: "k", operator: .exists, effect: .noExecute, tolerationSeconds: 30)])
        #expect(pod.hostPorts == [HostPort(hostIP: "10.0.0.1", protocol: "UDP", port: 53)])
        #expect(pod.hostPorts[0].description == "10.0.0.1:53/UDP")
    }

    @Test func terminalAndTerminatingPods() {
        var json = SchedulerFixtures.podJSON("p")
        json["status"]["phase"] = "Succeeded"
        #expect(PodView(json).isTerminal)
        json["status"]["phase"] = "Running"
        json["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
        #expect(PodView(json).isTerminating)
        #expect(!PodView(json).needsScheduling())
        #expect(!SchedulerFixtures.pod("q", nodeName: "n1").needsScheduling())
        #expect(!PodView(SchedulerFixtures.podJSON("q")).needsScheduling(by: "other-scheduler"))
    }

    @Test func nodeAllocatableReadinessAndTaints() throws {
        let node = NodeView(
            try JSON(
                parsing: """
                    {"metadata":{"name":"n1","labels":{"topology.kubernetes.io/zone":"z1"}},
                     "spec":{"unschedulable":true,"taints":[{"key":"dedicated","value":"db","effect":"NoSchedule"},{"effect":"NoSchedule"}]},
                     "status":{"allocatable":{"cpu":"3500m","memory":"7Gi"},
                               "capacity":{"cpu":"4","memory":"8Gi","pods":"110","example.com/gpu":"2","ephemeral-storage":"10Gi"},
                               "conditions":[{"type":"Ready","status":"Unknown"}]}}
                    """))
        #expect(node.allocatable.milliCPU == 3500)
        #expect(node.allocatable.memory == 7 * 1024 * 1024 * 1024)
        #expect(node.allocatable.ephemeralStorage == 10 * 1024 * 1024 * 1024)
        #expect(node.allocatable.scalars == ["example.com/gpu": 2])
        #expect(node.allowedPodCount == 110)
        #expect(node.readiness == .unknown)
        #expect(node.unschedulable)
        #expect(node.zone == "z1")
        // The keyless taint is dropped; Unknown readiness adds the unreachable NoSchedule taint.
        #expect(node.taints == [Taint(key: "dedicated", value: "db", effect: .noSchedule)])
        #expect(
            node.effectiveTaints == [
                Taint(key: "dedicated", value: "db", effect: .noSchedule),
                Taint(key: Taint.unreachableKey, effect: .noSchedule),
            ])
        #expect(node.effectiveTaints[0].description == "dedicated=db:NoSchedule")
    }

    @Test(
        arguments: [
            ("True", NodeView.Readiness.ready), ("False", .notReady), ("Unknown", .unknown), (nil, .notReady),
        ] as [(String?, NodeView.Readiness)])
    func readiness(status: String?, expected: NodeView.Readiness) {
        #expect(SchedulerFixtures.node("n", ready: status).readiness == expected)
    }

    @Test func nodeAlreadyCarryingTheConditionTaintIsNotTaintedTwice() {
        let node = SchedulerFixtures.node(
            "n", taints: [SchedulerFixtures.taint(Taint.notReadyKey)], ready: "False")
        #expect(node.effectiveTaints == [Taint(key: Taint.notReadyKey, effect: .noSchedule)])
    }

    @Test(arguments: [
        (Toleration(key: "k", operator: .equal, value: "v"), true),
        (Toleration(key: "k", operator: .equal, value: "w"), false),
        (Toleration(key: "k", operator: .exists), true),
        (Toleration(key: "", operator: .exists), true),
        (Toleration(key: "k", operator: .exists, effect: .noExecute), false),
        (Toleration(key: "k", operator: .exists, effect: .noSchedule), true),
        (Toleration(key: "other", operator: .exists), false),
        (Toleration(key: "k", operator: nil), false),
    ])
    func tolerationMatching(toleration: Toleration, tolerates: Bool) {
        #expect(toleration.tolerates(Taint(key: "k", value: "v", effect: .noSchedule)) == tolerates)
    }

    @Test func tolerationFromJSONDefaultsOperatorToEqual() throws {
        let toleration = Toleration(json: try JSON(parsing: #"{"key":"k","value":"v"}"#))
        #expect(toleration == Toleration(key: "k", operator: .equal, value: "v"))
        #expect(Toleration(json: try JSON(parsing: #"{"key":"k","operator":"Bogus"}"#)).operator == nil)
    }

    @Test func hostPortConflicts() {
        let any80 = HostPort(port: 80)
        #expect(any80 == HostPort(hostIP: "0.0.0.0", protocol: "TCP", port: 80))
        #expect(any80.conflicts(with: HostPort(hostIP: "10.0.0.1", port: 80)))
        #expect(HostPort(hostIP: "10.0.0.1", port: 80).conflicts(with: any80))
        #expect(!HostPort(hostIP: "10.0.0.1", port: 80).conflicts(with: HostPort(hostIP: "10.0.0.2", port: 80)))
        #expect(!any80.conflicts(with: HostPort(protocol: "UDP", port: 80)))
        #expect(!any80.conflicts(with: HostPort(port: 81)))
    }

    @Test func scalarResourceNames() {
        #expect(ResourceAmounts.isScalarResourceName("example.com/gpu"))
        #expect(ResourceAmounts.isScalarResourceName("hugepages-2Mi"))
        #expect(ResourceAmounts.isScalarResourceName("attachable-volumes-csi-x"))
        #expect(!ResourceAmounts.isScalarResourceName("requests.example.com/gpu"))
        #expect(!ResourceAmounts.isScalarResourceName("pods"))
    }
}
