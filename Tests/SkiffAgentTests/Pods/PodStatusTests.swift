import SkiffModel
import Testing

@testable import SkiffAgent

@Suite("Pod status as kubelet reports it")
struct PodStatusTests {
    @Test("a running pod: phase, IPs, conditions, container status with containerd:// id and imageID")
    func running() {
        let pod = PodSpecView(PodFixture.pod())
        let status = PodStatusBuilder(
            pod: pod, observed: PodFixture.observed([PodFixture.running("app")]), nodeIP: "192.168.1.2",
            now: "2026-01-01T00:00:00Z"
        ).build()
        #expect(status["phase"] == "Running")
        #expect(status["podIP"] == "10.42.0.5")
        #expect(status["podIPs"] == [["ip": "10.42.0.5"]])
        #expect(status["hostIP"] == "192.168.1.2")
        #expect(status["startTime"] == "2026-01-01T00:00:00Z")
        let app = status["containerStatuses"][0]
        #expect(app["containerID"] == "containerd://app-0")
        #expect(app["imageID"] == "docker.io/library/busybox@sha256:abc")
        #expect(app["ready"] == true)
        #expect(app["started"] == true)
        #expect(!app["state"]["running"]["startedAt"].isNull)
        let conditions = Dictionary(
            (status["conditions"].arrayValue ?? []).map {
                ($0["type"].stringValue ?? "", $0["status"].stringValue ?? "")
            },
            uniquingKeysWith: { a, _ in a })
        #expect(conditions["Ready"] == "True")
        #expect(conditions["ContainersReady"] == "True")
        #expect(conditions["Initialized"] == "True")
        #expect(conditions["PodScheduled"] == "True")
    }

    @Test("hostNetwork pods report the node IP as pod IP")
    func hostNetwork() {
        let pod = PodSpecView(PodFixture.pod { $0["spec"]["hostNetwork"] = true })
        var observed = PodFixture.observed([PodFixture.running("app")])
        observed.podIP = ""
        let status = PodStatusBuilder(pod: pod, observed: observed, nodeIP: "192.168.1.2", now: "t").build()
        #expect(status["podIP"] == "192.168.1.2")
    }

    @Test("an OOM-killed container shows reason OOMKilled; Never makes the pod Failed")
    func oomKilled() {
        let pod = PodSpecView(PodFixture.pod(restartPolicy: "Never"))
        let status = PodStatusBuilder(
            pod: pod, observed: PodFixture.observed([PodFixture.exited("app", code: 137, reason: "OOMKilled")]),
            nodeIP: "n", now: "t"
        ).build()
        #expect(status["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled")
        #expect(status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137)
        #expect(status["phase"] == "Failed")
    }

    @Test("all containers exited 0 under OnFailure: Succeeded, Ready False with PodCompleted")
    func succeeded() {
        let pod = PodSpecView(PodFixture.pod(restartPolicy: "OnFailure"))
        let status = PodStatusBuilder(
            pod: pod, observed: PodFixture.observed([PodFixture.exited("app", code: 0)]), nodeIP: "n", now: "t"
        ).build()
        #expect(status["phase"] == "Succeeded")
        #expect(status["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed")
        let ready = (status["conditions"].arrayValue ?? []).first { $0["type"] == "Ready" }
        #expect(ready?["reason"] == "PodCompleted")
    }

    @Test("waiting reasons: ContainerCreating before any container, PodInitializing behind init containers")
    func waitingReasons() {
        let plain = PodStatusBuilder(pod: PodSpecView(PodFixture.pod()), observed: ObservedPod(), nodeIP: "n", now: "t")
            .build()
        #expect(plain["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating")
        #expect(plain["phase"] == "Pending")
        let withInit = PodStatusBuilder(
            pod: PodSpecView(PodFixture.pod(initContainers: [PodFixture.container("init")])),
            observed: PodFixture.observed([PodFixture.running("init")]), nodeIP: "n", now: "t"
        ).build()
        #expect(withInit["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing")
        let initialized = (withInit["conditions"].arrayValue ?? []).first { $0["type"] == "Initialized" }
        #expect(initialized?["status"] == "False")
        #expect(initialized?["message"] == "containers with incomplete status: [init]")
    }

    @Test("a readiness probe gates ready and the Ready condition; a startup probe gates started")
    func readinessGating() {
        let pod = PodSpecView(
            PodFixture.pod(containers: [
                ["name": "app", "image": "busybox:1.36", "readinessProbe": ["exec": ["command": ["true"]]]]
            ]))
        let observed = PodFixture.observed([PodFixture.running("app")])
        var builder = PodStatusBuilder(pod: pod, observed: observed, nodeIP: "n", now: "t")
        var status = builder.build()
        #expect(status["containerStatuses"][0]["ready"] == false)
        #expect((status["conditions"].arrayValue ?? []).first { $0["type"] == "Ready" }?["status"] == "False")
        builder.readiness = ["app": true]
        status = builder.build()
        #expect(status["containerStatuses"][0]["ready"] == true)
        builder.startup = ["app": false]
        status = builder.build()
        #expect(status["containerStatuses"][0]["started"] == false)
        #expect(status["containerStatuses"][0]["ready"] == false)
    }

    @Test("lastTransitionTime is kept while a condition's status does not change")
    func transitionTimeKept() {
        var json = PodFixture.pod()
        let first = PodStatusBuilder(
            pod: PodSpecView(json), observed: PodFixture.observed([PodFixture.running("app")]), nodeIP: "n", now: "T1"
        ).build()
        json["status"] = first
        let second = PodStatusBuilder(
            pod: PodSpecView(json), observed: PodFixture.observed([PodFixture.running("app")]), nodeIP: "n", now: "T2"
        ).build()
        let ready = (second["conditions"].arrayValue ?? []).first { $0["type"] == "Ready" }
        #expect(ready?["lastTransitionTime"] == "T1")
        #expect(second == first)
    }
}
