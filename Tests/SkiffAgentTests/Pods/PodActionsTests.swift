import SkiffModel
import Testing

@testable import SkiffAgent

@Suite("Pod actions (computePodActions)")
struct PodActionsTests {
    struct RestartCase: Sendable, CustomTestStringConvertible {
        var policy: String
        var exitCode: Int32
        var restarts: Bool
        var testDescription: String { "\(policy) exit \(exitCode) → \(restarts ? "restart" : "stay")" }
    }

    @Test(
        "restart policies decide whether an exited container is started again",
        arguments: [
            RestartCase(policy: "Always", exitCode: 0, restarts: true),
            RestartCase(policy: "Always", exitCode: 1, restarts: true),
            RestartCase(policy: "OnFailure", exitCode: 0, restarts: false),
            RestartCase(policy: "OnFailure", exitCode: 2, restarts: true),
            RestartCase(policy: "Never", exitCode: 0, restarts: false),
            RestartCase(policy: "Never", exitCode: 1, restarts: false),
        ])
    func restartPolicies(_ row: RestartCase) {
        let pod = PodSpecView(PodFixture.pod(restartPolicy: row.policy))
        var backOff = ContainerBackOff()
        let plan = PodActions.compute(
            pod: pod, observed: PodFixture.observed([PodFixture.exited("app", code: row.exitCode)]), backOff: &backOff,
            now: PodFixture.nanos(2))
        #expect(plan.start.map(\.name) == (row.restarts ? ["app"] : []))
        if row.restarts { #expect(plan.start.first?.restartCount == 1) }
        #expect(plan.createSandbox == nil)
    }

    @Test("a missing sandbox is created and the first init container started alone")
    func newSandboxStartsFirstInit() {
        let pod = PodSpecView(
            PodFixture.pod(initContainers: [PodFixture.container("init-a"), PodFixture.container("init-b")]))
        var backOff = ContainerBackOff()
        let plan = PodActions.compute(pod: pod, observed: ObservedPod(), backOff: &backOff, now: 0)
        #expect(plan.createSandbox == 0)
        #expect(plan.start.map(\.name) == ["init-a"])
    }

    @Test("init containers run in order, each after the previous succeeded")
    func initOrder() {
        let pod = PodSpecView(
            PodFixture.pod(initContainers: [PodFixture.container("init-a"), PodFixture.container("init-b")]))
        var backOff = ContainerBackOff()
        var plan = PodActions.compute(
            pod: pod, observed: PodFixture.observed([PodFixture.running("init-a")]), backOff: &backOff, now: 0)
        #expect(plan.start.isEmpty)
        plan = PodActions.compute(
            pod: pod, observed: PodFixture.observed([PodFixture.exited("init-a", code: 0)]), backOff: &backOff, now: 0)
        #expect(plan.start.map(\.name) == ["init-b"])
        plan = PodActions.compute(
            pod: pod,
            observed: PodFixture.observed([PodFixture.exited("init-a", code: 0), PodFixture.exited("init-b", code: 0)]),
            backOff: &backOff, now: 0)
        #expect(plan.start.map(\.name) == ["app"])
    }

    @Test("a failed init container under restartPolicy Never fails the pod")
    func initFailureNever() {
        let spec = PodFixture.pod(restartPolicy: "Never", initContainers: [PodFixture.container("init-a")])
        var backOff = ContainerBackOff()
        let observed = PodFixture.observed([PodFixture.exited("init-a", code: 3)])
        let plan = PodActions.compute(pod: PodSpecView(spec), observed: observed, backOff: &backOff, now: 0)
        #expect(plan.podFailed)
        #expect(plan.start.isEmpty)
        let status = PodStatusBuilder(pod: PodSpecView(spec), observed: observed, nodeIP: "192.168.1.2", now: "t")
            .build()
        #expect(status["phase"] == "Failed")
    }

    @Test("a sandbox that died is killed and recreated with the next attempt")
    func deadSandbox() {
        let pod = PodSpecView(PodFixture.pod())
        var backOff = ContainerBackOff()
        var observed = PodFixture.observed([PodFixture.running("app")], ready: false)
        observed.sandboxes[0].metadata.attempt = 2
        let plan = PodActions.compute(pod: pod, observed: observed, backOff: &backOff, now: 0)
        #expect(plan.killPod)
        #expect(plan.createSandbox == 3)
        #expect(plan.start.first?.restartCount == 1)
    }

    @Test("crash-loop back-off grows 10 s, 20 s, 40 s … and stops at 300 s")
    func backOffGrowth() {
        var backOff = ContainerBackOff()
        var delays: [Int64] = []
        var time = PodFixture.nanos(0)
        for _ in 0..<8 {
            backOff.next("uid/app", eventTime: time)
            delays.append(backOff.delay("uid/app").components.seconds)
            time += backOff.delay("uid/app").components.seconds * 1_000_000_000 + 1
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300, 300])
        // Ten calm minutes after the last failure start it afresh.
        backOff.next("uid/app", eventTime: time + 601 * 1_000_000_000)
        #expect(backOff.delay("uid/app") == .seconds(10))
    }

    @Test("a crashing container waits in CrashLoopBackOff with kubelet's message, then restarts")
    func crashLoopBackOff() {
        let pod = PodSpecView(PodFixture.pod())
        var backOff = ContainerBackOff()
        // First crash: restarted at once.
        var plan = PodActions.compute(
            pod: pod,
            observed: PodFixture.observed([PodFixture.exited("app", code: 1, finishedAt: PodFixture.nanos(1))]),
            backOff: &backOff, now: PodFixture.nanos(1))
        #expect(plan.start.map(\.restartCount) == [1])
        // Second crash: back-off 10 s from its finish.
        let second = PodFixture.observed([
            PodFixture.exited("app", code: 1, restart: 0, finishedAt: PodFixture.nanos(1)),
            PodFixture.exited("app", code: 1, restart: 1, finishedAt: PodFixture.nanos(3)),
        ])
        plan = PodActions.compute(pod: pod, observed: second, backOff: &backOff, now: PodFixture.nanos(4))
        #expect(plan.start.isEmpty)
        #expect(plan.requeueAfter == .seconds(9))
        #expect(plan.waiting["app"]?.reason == "CrashLoopBackOff")
        #expect(plan.waiting["app"]?.message == "back-off 10s restarting failed container=app pod=web_default(uid-web)")
        let status = PodStatusBuilder(
            pod: pod, observed: second, waiting: plan.waiting, nodeIP: "192.168.1.2", now: "t"
        ).build()
        let app = status["containerStatuses"][0]
        #expect(app["state"]["waiting"]["reason"] == "CrashLoopBackOff")
        #expect(app["restartCount"] == 1)
        #expect(app["lastState"]["terminated"]["exitCode"] == 1)
        #expect(status["phase"] == "Running")
        // Once the 10 s passed it restarts, and the next back-off is 20 s.
        plan = PodActions.compute(pod: pod, observed: second, backOff: &backOff, now: PodFixture.nanos(14))
        #expect(plan.start.map(\.restartCount) == [2])
        #expect(backOff.delay("uid-web/app") == .seconds(20))
    }

    @Test("an unhealthy (liveness-failed) container is killed and started again")
    func livenessKill() {
        let pod = PodSpecView(PodFixture.pod())
        var backOff = ContainerBackOff()
        let plan = PodActions.compute(
            pod: pod, observed: PodFixture.observed([PodFixture.running("app")]), backOff: &backOff,
            unhealthy: ["app": "Container app failed liveness probe, will be restarted"], now: 0)
        #expect(plan.kill.map(\.id) == ["app-0"])
        #expect(plan.start.map(\.restartCount) == [1])
    }

    @Test("a finished pod under OnFailure has its sandbox stopped")
    func finishedPod() {
        let pod = PodSpecView(PodFixture.pod(restartPolicy: "OnFailure"))
        var backOff = ContainerBackOff()
        let plan = PodActions.compute(
            pod: pod, observed: PodFixture.observed([PodFixture.exited("app", code: 0)]), backOff: &backOff, now: 0)
        #expect(plan.killPod)
        #expect(plan.start.isEmpty)
    }
}
