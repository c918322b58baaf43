import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadReplicaSetTests {
    let now = Fixture.epoch.addingTimeInterval(100)

    @Test func scalesUpFromTemplate() throws {
        let rs = Fixture.replicaSet(replicas: 3)
        let existing = Fixture.pod("web-rs-a", owner: rs)
        let result = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: [existing], now: now)
        let created = result.created(.pods)
        #expect(created.count == 2)
        let pod = try #require(created.first)
        #expect(pod["metadata"]["generateName"] == "web-rs-")
        #expect(pod["metadata"]["namespace"] == "default")
        #expect(pod["metadata"]["labels"] == ["app": "web"])
        #expect(pod["spec"] == rs["spec"]["template"]["spec"])
        let reference = try #require(pod["metadata"]["ownerReferences"][0].objectValue)
        #expect(
            JSON.object(reference) == [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-rs", "uid": "rs-uid", "controller": true,
                "blockOwnerDeletion": true,
            ])
        // Status counts only what exists now; creations show up next time.
        let status = try #require(result.statusUpdates(.replicaSets).first)["status"]
        #expect(
            status == [
                "replicas": 1, "fullyLabeledReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                "observedGeneration": 1,
            ])
    }

    @Test func scaleDownPrefersUnscheduledPendingNotReadyNewer() {
        let rs = Fixture.replicaSet(replicas: 2)
        let pods = [
            Fixture.pod("old-ready", owner: rs, created: 0),
            Fixture.pod("new-ready", owner: rs, readySince: 50, created: 40),
            Fixture.pod("not-ready", owner: rs, ready: false, created: 10),
            Fixture.pod("pending", owner: rs, phase: "Pending", ready: false, created: 5),
            Fixture.pod("unscheduled", owner: rs, phase: "Pending", ready: false, node: nil, created: 1),
        ]
        let deleted = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: pods, now: now).deleted(.pods)
        #expect(deleted == ["unscheduled", "pending", "not-ready"])
        let more = ReplicaSetReconciler.reconcile(replicaSet: Fixture.replicaSet(replicas: 0), pods: pods, now: now)
        #expect(more.deleted(.pods) == ["unscheduled", "pending", "not-ready", "new-ready", "old-ready"])
        #expect(more.events.first?.reason == "SuccessfulDelete")
        #expect(more.events.first?.message == "Deleted pod: unscheduled")
    }

    @Test func deletionCostAndRestartsBreakTies() {
        let rs = Fixture.replicaSet(replicas: 1)
        var cheap = Fixture.pod("cheap", owner: rs, created: 0)
        cheap["metadata"]["annotations"] = ["controller.kubernetes.io/pod-deletion-cost": "-10"]
        let crashy = Fixture.pod("crashy", owner: rs, created: 0, restarts: 4)
        let plain = Fixture.pod("plain", owner: rs, created: 0)
        let deleted = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: [plain, crashy, cheap], now: now).deleted(
            .pods)
        #expect(deleted == ["cheap", "crashy"])
    }

    @Test func adoptsMatchingOrphansAndReleasesMismatches() throws {
        let rs = Fixture.replicaSet(replicas: 2)
        let orphan = Fixture.pod("orphan")
        let foreign = Fixture.pod("foreign", owner: Fixture.replicaSet(name: "other", uid: "other-uid"))
        let relabeled = Fixture.pod("relabeled", owner: rs, labels: ["app": "debug"])
        var dying = Fixture.pod("dying")
        dying["metadata"]["deletionTimestamp"] = .string(Fixture.time(90))
        let result = ReplicaSetReconciler.reconcile(
            replicaSet: rs, pods: [orphan, foreign, relabeled, dying], now: now)
        let updates = result.updated(.pods)
        #expect(updates.map { $0.name } == ["orphan", "relabeled"])
        #expect(WorkloadReference.controllerUID(of: updates[0]) == "rs-uid")
        #expect(updates[0].resourceVersion == "5")  // the update is a compare-and-swap on what was seen
        #expect(updates[1]["metadata"]["ownerReferences"].isNull)
        // The adopted orphan counts, so only one more pod is needed.
        #expect(result.created(.pods).count == 1)
    }

    @Test func deletingReplicaSetNeitherAdoptsNorScales() {
        var rs = Fixture.replicaSet(replicas: 3)
        rs["metadata"]["deletionTimestamp"] = .string(Fixture.time(50))
        let result = ReplicaSetReconciler.reconcile(
            replicaSet: rs, pods: [Fixture.pod("orphan"), Fixture.pod("mine-bad", owner: rs, labels: ["x": "y"])],
            now: now)
        #expect(result.created(.pods).isEmpty)
        #expect(result.updated(.pods).isEmpty)
    }

    @Test func ignoresInactivePods() {
        let rs = Fixture.replicaSet(replicas: 2)
        let done = Fixture.pod("done", owner: rs, phase: "Succeeded", ready: false)
        var terminating = Fixture.pod("terminating", owner: rs)
        terminating["metadata"]["deletionTimestamp"] = .string(Fixture.time(90))
        let result = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: [done, terminating], now: now)
        #expect(result.created(.pods).count == 2)
        #expect(result.deleted(.pods).isEmpty)
    }

    @Test func availabilityHonorsMinReadySeconds() throws {
        let rs = Fixture.replicaSet(replicas: 2, minReadySeconds: 30)
        // Ready at t=80 and t=50; now is t=100: only the second is past 30 s.
        let pods = [Fixture.pod("a", owner: rs, readySince: 80), Fixture.pod("b", owner: rs, readySince: 50)]
        let result = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: pods, now: now)
        let status = try #require(result.statusUpdates(.replicaSets).first)["status"]
        #expect(status.int("readyReplicas") == 2)
        #expect(status.int("availableReplicas") == 1)
        // Pod a becomes available 10 s from now; the requeue lands just after that.
        let wait = try #require(result.requeueAfter)
        #expect(wait > 10 && wait <= 11)
    }

    @Test func noStatusWriteWhenUnchanged() {
        var rs = Fixture.replicaSet(replicas: 1)
        rs["status"] = [
            "replicas": 1, "fullyLabeledReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
            "observedGeneration": 1,
        ]
        let result = ReplicaSetReconciler.reconcile(replicaSet: rs, pods: [Fixture.pod("a", owner: rs)], now: now)
        #expect(result.actions.isEmpty)
        #expect(result.requeueAfter == nil)
    }

    @Test func fullyLabeledCountsTemplateLabels() throws {
        var rs = Fixture.replicaSet(replicas: 2)
        rs["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
        let pods = [Fixture.pod("a", owner: rs), Fixture.pod("b", owner: rs, labels: ["app": "web", "tier": "front"])]
        let status = try #require(
            ReplicaSetReconciler.reconcile(replicaSet: rs, pods: pods, now: now).statusUpdates(.replicaSets).first)[
                "status"]
        #expect(status.int("replicas") == 2)
        #expect(status.int("fullyLabeledReplicas") == 1)
    }

    @Test func convergesInFakeCluster() {
        var cluster = FakeCluster()
        cluster.put(.replicaSets, Fixture.replicaSet(replicas: 4))
        cluster.reconcileReplicaSets()
        #expect(cluster.list(.pods).count == 4)
        cluster.runPods()
        cluster.reconcileReplicaSets()
        #expect(cluster.get(.replicaSets, "web-rs")?["status"].int("readyReplicas") == 4)
        var rs = cluster.get(.replicaSets, "web-rs") ?? .null
        rs["spec"]["replicas"] = 1
        cluster.apply([.update(resource: .replicaSets, object: rs)])
        cluster.reconcileReplicaSets()
        #expect(cluster.list(.pods).count == 1)
        cluster.reconcileReplicaSets()
        let status = cluster.get(.replicaSets, "web-rs")?["status"] ?? .null
        #expect(status.int("replicas") == 1)
        #expect(status.int("observedGeneration") == 2)
        #expect(cluster.conflicts == 0)
    }
}
