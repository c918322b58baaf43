import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadDeploymentTests {
    /// A cluster with a Deployment rolled out and settled.
    static func settled(_ deployment: JSON) -> FakeCluster {
        var cluster = FakeCluster()
        cluster.put(.deployments, deployment)
        for _ in 0..<6 { cluster.step(deployment.name ?? "web") }
        return cluster
    }

    @Test(
        arguments: [
            ("25%", "25%", 10, 3, 2), ("25%", "25%", 3, 1, 0), ("0%", "0%", 5, 0, 1), (1, 0, 4, 1, 0),
            ("1%", "25%", 2, 1, 0), ("50%", "50%", 3, 2, 1),
        ] as [(JSON, JSON, Int, Int, Int)])
    func fenceposts(surge: JSON, unavailable: JSON, desired: Int, expectedSurge: Int, expectedUnavailable: Int) {
        let result = DeploymentReconciler.resolveFenceposts(
            maxSurge: surge, maxUnavailable: unavailable, desired: desired)
        #expect(result.surge == expectedSurge)
        #expect(result.unavailable == expectedUnavailable)
    }

    @Test func templateHashIsStableAndSafe() {
        let template = Fixture.template(labels: ["app": "web"])
        var reordered: JSON = ["spec": template["spec"], "metadata": template["metadata"]]
        reordered["metadata"]["annotations"] = nil
        let hash = TemplateHash.compute(template)
        #expect(hash == TemplateHash.compute(reordered))
        #expect(hash != TemplateHash.compute(template, collisionCount: 1))
        #expect(hash != TemplateHash.compute(Fixture.template(labels: ["app": "web"], image: "nginx:1.26")))
        #expect(hash.count >= 1 && hash.count <= 10)
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        #expect(TemplateHash.safeEncode("0123456789") == "456789bcdf")
    }

    @Test func createsNewReplicaSetWithRevisionAndAnnotations() throws {
        let d = Fixture.deployment(replicas: 3)
        let result = DeploymentReconciler.reconcile(deployment: d, replicaSets: [], pods: [], now: Fixture.epoch)
        let rs = try #require(result.created(.replicaSets).first)
        let hash = TemplateHash.compute(d["spec"]["template"])
        #expect(rs.name == "web-\(hash)")
        #expect(rs["metadata"]["labels"] == ["app": "web", "pod-template-hash": .string(hash)])
        #expect(rs["spec"]["selector"]["matchLabels"] == ["app": "web", "pod-template-hash": .string(hash)])
        #expect(rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == .string(hash))
        #expect(rs["spec"]["replicas"] == 3)
        #expect(
            rs.annotations == [
                "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3",
                "deployment.kubernetes.io/max-replicas": "4",
            ])
        #expect(WorkloadReference.controllerUID(of: rs) == "uid-web")
        let status = try #require(result.statusUpdates(.deployments).first)
        #expect(status.annotations["deployment.kubernetes.io/revision"] == "1")
        let progressing = try #require(WorkloadConditions.find("Progressing", in: status["status"]["conditions"]))
        #expect(progressing["reason"] == "NewReplicaSetCreated")
        #expect(progressing["message"] == .string("Created new replica set \"web-\(hash)\""))
        #expect(result.events.map(\.message) == ["Scaled up replica set web-\(hash) to 3"])
    }

    @Test func reachesAvailableWithUpstreamStatusShape() throws {
        let cluster = Self.settled(Fixture.deployment(replicas: 3))
        let d = try #require(cluster.get(.deployments, "web"))
        let rsName = "web-\(TemplateHash.compute(d["spec"]["template"]))"
        let status = d["status"]
        #expect(status.int("observedGeneration") == 1)
        #expect(status.int("replicas") == 3)
        #expect(status.int("updatedReplicas") == 3)
        #expect(status.int("readyReplicas") == 3)
        #expect(status.int("availableReplicas") == 3)
        #expect(status["unavailableReplicas"].isNull)  // zero counts are omitted, as Go's omitempty
        let conditions = try #require(status["conditions"].arrayValue)
        // The order a real cluster shows: each condition moves to the end when it changes, Progressing last.
        #expect(conditions.map { $0["type"] } == ["Available", "Progressing"])
        #expect(conditions[0]["reason"] == "MinimumReplicasAvailable")
        #expect(conditions[0]["message"] == "Deployment has minimum availability.")
        #expect(conditions[1]["reason"] == "NewReplicaSetAvailable")
        #expect(conditions[1]["message"] == .string("ReplicaSet \"\(rsName)\" has successfully progressed."))
        #expect(
            conditions[1].objectValue?.keys == [
                "type", "status", "lastUpdateTime", "lastTransitionTime", "reason", "message",
            ])
        #expect(Fixture.rolloutStatus(d).done)
        #expect(cluster.podCounts == (3, 3))
        #expect(cluster.conflicts == 0)
    }

    /// Changes the image and steps until done, checking upstream's rolling invariants at every step.
    func roll(replicas: Int, strategy: JSON, surge: Int, unavailable: Int, readyEvery: Int = 1) throws -> FakeCluster {
        var cluster = Self.settled(Fixture.deployment(replicas: replicas, strategy: strategy))
        cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26" }
        var sawSurge = false
        var steps = 0
        while !Fixture.rolloutStatus(cluster.get(.deployments, "web") ?? .null).done {
            steps += 1
            try #require(steps < 60, "rollout did not finish")
            let round = steps
            cluster.step(ready: { _ in round % readyEvery == 0 }) { cluster in
                let counts = cluster.podCounts
                #expect(counts.total <= replicas + surge, "step \(round): \(counts.total) pods")
                #expect(counts.ready >= replicas - unavailable, "step \(round): only \(counts.ready) ready")
                let specs = cluster.list(.replicaSets).map { $0["spec"]["replicas"].intValue ?? 0 }.reduce(0, +)
                #expect(specs <= replicas + surge)
                if counts.total > replicas { sawSurge = true }
            }
        }
        if surge > 0 { #expect(sawSurge) }
        let replicaSets = cluster.list(.replicaSets)
        #expect(replicaSets.count == 2)
        let newRS = try #require(replicaSets.first { $0.annotations["deployment.kubernetes.io/revision"] == "2" })
        #expect(newRS["spec"]["replicas"].intValue == replicas)
        #expect(newRS["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26")
        let old = try #require(replicaSets.first { $0.name != newRS.name })
        #expect(old["spec"]["replicas"] == 0)
        #expect(cluster.get(.deployments, "web")?.annotations["deployment.kubernetes.io/revision"] == "2")
        #expect(cluster.list(.pods).allSatisfy { $0["spec"]["containers"][0]["image"] == "nginx:1.26" })
        #expect(cluster.conflicts == 0)
        return cluster
    }

    @Test func rollingUpdateDefaults() throws {
        _ = try roll(
            replicas: 4,
            strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]],
            surge: 1, unavailable: 1)
    }

    @Test func rollingUpdateSurgeOnly() throws {
        _ = try roll(
            replicas: 3, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]],
            surge: 1, unavailable: 0)
    }

    @Test func rollingUpdateUnavailableOnly() throws {
        _ = try roll(
            replicas: 5, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 0, "maxUnavailable": 2]],
            surge: 0, unavailable: 2)
    }

    @Test func rollingUpdateSlowPods() throws {
        _ = try roll(
            replicas: 10,
            strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "30%", "maxUnavailable": "20%"]],
            surge: 3, unavailable: 2, readyEvery: 3)
    }

    @Test func rollingProgressesWithReplicaSetUpdatedCondition() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 4))
        cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26" }
        cluster.step(ready: { _ in false })
        cluster.step(ready: { _ in false })
        let d = try #require(cluster.get(.deployments, "web"))
        let progressing = try #require(WorkloadConditions.find("Progressing", in: d["status"]["conditions"]))
        #expect(progressing["reason"] == "ReplicaSetUpdated")
        let newName = "web-\(TemplateHash.compute(d["spec"]["template"]))"
        #expect(progressing["message"] == .string("ReplicaSet \"\(newName)\" is progressing."))
        #expect(!Fixture.rolloutStatus(d).done)
        #expect(Fixture.rolloutStatus(d).message.contains("new replicas have been updated"))
    }

    @Test func recreateScalesOldToZeroBeforeCreatingNew() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 3, strategy: ["type": "Recreate"]))
        cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26" }
        // First round: only the old ReplicaSet is scaled down; no new one exists yet.
        cluster.reconcileDeployment()
        #expect(cluster.list(.replicaSets).count == 1)
        #expect(cluster.list(.replicaSets)[0]["spec"]["replicas"] == 0)
        // Old pods still run until the ReplicaSet deletes them; the controller waits for that.
        cluster.reconcileDeployment()
        #expect(cluster.list(.replicaSets).count == 1)
        cluster.reconcileReplicaSets()
        #expect(cluster.podCounts.total == 0)
        cluster.reconcileDeployment()  // status of the old ReplicaSet still reports pods
        cluster.reconcileReplicaSets()
        cluster.reconcileDeployment()
        let replicaSets = cluster.list(.replicaSets)
        #expect(replicaSets.count == 2)
        let newRS = try #require(replicaSets.first { $0.annotations["deployment.kubernetes.io/revision"] == "2" })
        #expect(newRS["spec"]["replicas"] == 3)
        for _ in 0..<4 { cluster.step() }
        #expect(Fixture.rolloutStatus(cluster.get(.deployments, "web") ?? .null).done)
    }

    @Test func pausedDeploymentDoesNotRollOut() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 2))
        cluster.editDeployment {
            $0["spec"]["paused"] = true
            $0["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
        }
        for _ in 0..<3 { cluster.step() }
        #expect(cluster.list(.replicaSets).count == 1)
        var d = try #require(cluster.get(.deployments, "web"))
        var progressing = try #require(WorkloadConditions.find("Progressing", in: d["status"]["conditions"]))
        #expect(progressing["status"] == "Unknown")
        #expect(progressing["reason"] == "DeploymentPaused")
        #expect(progressing["message"] == "Deployment is paused")
        // Scaling still works while paused.
        cluster.editDeployment { $0["spec"]["replicas"] = 4 }
        for _ in 0..<3 { cluster.step() }
        #expect(cluster.list(.replicaSets).count == 1)
        #expect(cluster.podCounts.total == 4)
        // Resume: the rollout happens.
        cluster.editDeployment { $0["spec"]["paused"] = false }
        cluster.step()
        d = try #require(cluster.get(.deployments, "web"))
        progressing = try #require(WorkloadConditions.find("Progressing", in: d["status"]["conditions"]))
        #expect(
            ["DeploymentResumed", "NewReplicaSetCreated", "ReplicaSetUpdated"].contains(
                progressing["reason"].stringValue ?? ""))
        for _ in 0..<12 { cluster.step() }
        d = try #require(cluster.get(.deployments, "web"))
        #expect(Fixture.rolloutStatus(d).done)
        #expect(cluster.list(.replicaSets).count == 2)
    }

    @Test func undoReusesOldReplicaSetAndBumpsRevision() throws {
        var cluster = try roll(
            replicas: 3, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]],
            surge: 1, unavailable: 0)
        let first = try #require(
            cluster.list(.replicaSets).first { $0.annotations["deployment.kubernetes.io/revision"] == "1" })
        // `kubectl rollout undo` (client-side in 1.32) copies the old ReplicaSet's template, minus the hash label.
        cluster.editDeployment {
            var template = first["spec"]["template"]
            template["metadata"]["labels"].removeValue(forKey: "pod-template-hash")
            $0["spec"]["template"] = template
        }
        for _ in 0..<12 { cluster.step() }
        let replicaSets = cluster.list(.replicaSets)
        #expect(replicaSets.count == 2)
        let reused = try #require(cluster.get(.replicaSets, first.name ?? ""))
        #expect(reused.annotations["deployment.kubernetes.io/revision"] == "3")
        #expect(reused.annotations["deployment.kubernetes.io/revision-history"] == "1")
        #expect(reused["spec"]["replicas"] == 3)
        let d = try #require(cluster.get(.deployments, "web"))
        #expect(d.annotations["deployment.kubernetes.io/revision"] == "3")
        #expect(Fixture.rolloutStatus(d).done)
        #expect(cluster.list(.pods).allSatisfy { $0["spec"]["containers"][0]["image"] == "nginx:1.25" })
    }

    @Test func restartAnnotationMakesNewReplicaSet() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 2))
        cluster.editDeployment {
            $0["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
                "2026-01-01T00:00:00Z"
        }
        for _ in 0..<10 { cluster.step() }
        #expect(cluster.list(.replicaSets).count == 2)
        #expect(Fixture.rolloutStatus(cluster.get(.deployments, "web") ?? .null).done)
        #expect(cluster.list(.pods).allSatisfy { !$0.annotations.isEmpty })
    }

    @Test func revisionHistoryLimitDeletesOldestDrainedReplicaSets() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 1, revisionHistoryLimit: 1))
        for image in ["nginx:1.26", "nginx:1.27", "nginx:1.28"] {
            cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = .string(image) }
            for _ in 0..<8 { cluster.step() }
        }
        let revisions = cluster.list(.replicaSets).compactMap { $0.annotations["deployment.kubernetes.io/revision"] }
            .sorted()
        #expect(revisions == ["3", "4"])
    }

    @Test func progressDeadlineExceeded() throws {
        var cluster = Self.settled(Fixture.deployment(replicas: 2, progressDeadline: 30))
        cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = "broken:1" }
        cluster.step(ready: { _ in false })
        cluster.step(ready: { _ in false })
        let firstResult = DeploymentReconciler.reconcile(
            deployment: cluster.get(.deployments, "web") ?? .null, replicaSets: cluster.list(.replicaSets),
            pods: cluster.list(.pods), now: cluster.clock)
        let wait = try #require(firstResult.requeueAfter)
        #expect(wait > 20 && wait <= 32)
        cluster.clock = cluster.clock.addingTimeInterval(60)
        cluster.step(ready: { _ in false })
        let d = try #require(cluster.get(.deployments, "web"))
        let progressing = try #require(WorkloadConditions.find("Progressing", in: d["status"]["conditions"]))
        #expect(progressing["status"] == "False")
        #expect(progressing["reason"] == "ProgressDeadlineExceeded")
        let newName = "web-\(TemplateHash.compute(d["spec"]["template"]))"
        #expect(progressing["message"] == .string("ReplicaSet \"\(newName)\" has timed out progressing."))
        #expect(Fixture.rolloutStatus(d).message == "deployment \"web\" exceeded its progress deadline")
    }

    @Test func hashCollisionBumpsCollisionCount() throws {
        let d = Fixture.deployment(replicas: 1)
        let hash = TemplateHash.compute(d["spec"]["template"])
        var squatter = Fixture.replicaSet(name: "web-\(hash)", uid: "squatter", replicas: 0, labels: ["other": "x"])
        squatter["spec"]["template"]["spec"]["containers"][0]["image"] = "other:1"
        let result = DeploymentReconciler.reconcile(
            deployment: d, replicaSets: [squatter], pods: [], now: Fixture.epoch)
        #expect(result.created(.replicaSets).isEmpty)
        let status = try #require(result.statusUpdates(.deployments).first)
        #expect(status["status"]["collisionCount"] == 1)
        var next = d
        next["status"] = status["status"]
        let retry = DeploymentReconciler.reconcile(
            deployment: next, replicaSets: [squatter], pods: [], now: Fixture.epoch)
        let created = try #require(retry.created(.replicaSets).first)
        #expect(created.name == "web-\(TemplateHash.compute(d["spec"]["template"], collisionCount: 1))")
    }

    @Test func adoptsOrphanReplicaSetWithSameTemplate() throws {
        let d = Fixture.deployment(replicas: 2)
        let hash = TemplateHash.compute(d["spec"]["template"])
        var orphan = Fixture.replicaSet(name: "web-\(hash)", uid: "orphan", replicas: 2, labels: ["app": "web"])
        orphan["spec"]["template"] = d["spec"]["template"]
        orphan["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = .string(hash)
        let result = DeploymentReconciler.reconcile(deployment: d, replicaSets: [orphan], pods: [], now: Fixture.epoch)
        #expect(result.created(.replicaSets).isEmpty)
        let updates = result.updated(.replicaSets)
        #expect(updates.count == 1)  // adoption and annotation sync in one write
        #expect(WorkloadReference.controllerUID(of: updates[0]) == "uid-web")
        #expect(updates[0].annotations["deployment.kubernetes.io/revision"] == "1")
    }

    @Test func scalingDuringRolloutIsProportional() throws {
        var cluster = Self.settled(
            Fixture.deployment(
                replicas: 10,
                strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 3, "maxUnavailable": 2]]))
        cluster.editDeployment { $0["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26" }
        cluster.step(ready: { _ in false })
        cluster.step(ready: { _ in false })
        let before = cluster.list(.replicaSets).map { $0["spec"]["replicas"].intValue ?? 0 }
        #expect(before.reduce(0, +) == 13)
        cluster.editDeployment { $0["spec"]["replicas"] = 20 }
        cluster.reconcileDeployment()
        let after = cluster.list(.replicaSets).map { $0["spec"]["replicas"].intValue ?? 0 }
        #expect(after.reduce(0, +) == 23)
        // Both ReplicaSets grew, in proportion to their size.
        #expect(zip(before, after).allSatisfy { $0.1 > $0.0 })
        #expect(
            cluster.list(.replicaSets).allSatisfy {
                $0.annotations["deployment.kubernetes.io/desired-replicas"] == "20"
            })
    }

    @Test func selectingEverythingIsRefused() throws {
        var d = Fixture.deployment()
        d["spec"]["selector"] = .emptyObject
        let result = DeploymentReconciler.reconcile(deployment: d, replicaSets: [], pods: [], now: Fixture.epoch)
        #expect(result.created(.replicaSets).isEmpty)
        #expect(result.events.first?.reason == "SelectingAll")
        #expect(result.statusUpdates(.deployments).first?["status"]["observedGeneration"] == 1)
    }
}
