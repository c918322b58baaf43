import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadStatefulSetTests {
    @Test func parsesOrdinals() {
        #expect(StatefulSetReconciler.parentAndOrdinal("web-12").map { $0.parent == "web" && $0.ordinal == 12 } == true)
        #expect(
            StatefulSetReconciler.parentAndOrdinal("my-db-0").map { $0.parent == "my-db" && $0.ordinal == 0 } == true)
        #expect(StatefulSetReconciler.parentAndOrdinal("web") == nil)
        #expect(StatefulSetReconciler.parentAndOrdinal("web-x1") == nil)
    }

    @Test func orderedReadyCreatesOneAtATimeWithStableIdentity() throws {
        var cluster = FakeCluster()
        cluster.put(.statefulSets, Fixture.statefulSet(replicas: 3))
        var order: [String] = []
        for _ in 0..<8 {
            let result = cluster.reconcileStatefulSet()
            let created = result.created(.pods)
            #expect(created.count <= 1)
            order += created.compactMap(\.name)
            // The newest pod only becomes ready on the next round: nothing else may start meanwhile.
            cluster.runPods()
        }
        #expect(order == ["web-0", "web-1", "web-2"])
        let pod = try #require(cluster.get(.pods, "web-1"))
        #expect(pod["spec"]["hostname"] == "web-1")
        #expect(pod["spec"]["subdomain"] == "nginx")
        #expect(pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1")
        #expect(pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1")
        let sts = try #require(cluster.get(.statefulSets, "web"))
        let revision = try #require(sts["status"]["updateRevision"].stringValue)
        #expect(revision.hasPrefix("web-"))
        #expect(pod["metadata"]["labels"]["controller-revision-hash"] == .string(revision))
        #expect(sts["status"]["currentRevision"] == .string(revision))
        #expect(sts["status"].int("readyReplicas") == 3)
        #expect(sts["status"].int("availableReplicas") == 3)
        #expect(Fixture.statefulSetRolloutStatus(sts).done)
    }

    @Test func unreadyPodBlocksSuccessors() {
        var cluster = FakeCluster()
        cluster.put(.statefulSets, Fixture.statefulSet(replicas: 3))
        for _ in 0..<5 {
            cluster.reconcileStatefulSet()
            cluster.runPods { $0.name != "web-1" }
        }
        #expect(cluster.list(.pods).compactMap(\.name) == ["web-0", "web-1"])
    }

    @Test func scalesDownFromHighestOrdinalOneAtATime() throws {
        var cluster = FakeCluster()
        cluster.put(.statefulSets, Fixture.statefulSet(replicas: 4))
        for _ in 0..<10 {
            cluster.reconcileStatefulSet()
            cluster.runPods()
        }
        var sts = try #require(cluster.get(.statefulSets, "web"))
        sts["spec"]["replicas"] = 1
        cluster.apply([.update(resource: .statefulSets, object: sts)])
        var deletions: [[String]] = []
        for _ in 0..<5 {
            deletions.append(cluster.reconcileStatefulSet().deleted(.pods))
        }
        #expect(deletions.flatMap { $0 } == ["web-3", "web-2", "web-1"])
        #expect(deletions.allSatisfy { $0.count <= 1 })
        #expect(cluster.list(.pods).compactMap(\.name) == ["web-0"])
    }

    @Test func parallelCreatesAndDeletesTogether() throws {
        var cluster = FakeCluster()
        cluster.put(.statefulSets, Fixture.statefulSet(replicas: 3, parallel: true))
        #expect(cluster.reconcileStatefulSet().created(.pods).compactMap(\.name) == ["web-0", "web-1", "web-2"])
        var sts = try #require(cluster.get(.statefulSets, "web"))
        sts["spec"]["replicas"] = 0
        cluster.apply([.update(resource: .statefulSets, object: sts)])
        #expect(cluster.reconcileStatefulSet().deleted(.pods) == ["web-2", "web-1", "web-0"])
    }

    @Test func volumeClaimTemplatesBecomePerOrdinalClaims() throws {
        var sts = Fixture.statefulSet(replicas: 2, parallel: true)
        sts["spec"]["volumeClaimTemplates"] = [
            [
                "metadata": ["name": "data"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
            ]
        ]
        var cluster = FakeCluster()
        cluster.put(.statefulSets, sts)
        let result = cluster.reconcileStatefulSet()
        #expect(result.created(.persistentVolumeClaims).compactMap(\.name) == ["data-web-0", "data-web-1"])
        #expect(result.created(.persistentVolumeClaims)[0]["metadata"]["labels"] == ["app": "web"])
        let pod = try #require(cluster.get(.pods, "web-1"))
        #expect(pod["spec"]["volumes"] == [["name": "data", "persistentVolumeClaim": ["claimName": "data-web-1"]]])
        // Claims outlive pods: a recreated pod reuses its claim.
        cluster.apply([.delete(resource: .pods, namespace: "default", name: "web-1", preconditionUID: nil)])
        let again = cluster.reconcileStatefulSet()
        #expect(again.created(.pods).compactMap(\.name) == ["web-1"])
        #expect(again.created(.persistentVolumeClaims).isEmpty)
    }

    func settled(_ sts: JSON) -> FakeCluster {
        var cluster = FakeCluster()
        cluster.put(.statefulSets, sts)
        for _ in 0..<10 {
            cluster.reconcileStatefulSet()
            cluster.runPods()
        }
        return cluster
    }

    @Test func rollingUpdateGoesFromHighestOrdinalDown() throws {
        var cluster = settled(Fixture.statefulSet(replicas: 3))
        let oldRevision = try #require(cluster.get(.statefulSets, "web")?["status"]["currentRevision"].stringValue)
        var sts = try #require(cluster.get(.statefulSets, "web"))
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
        cluster.apply([.update(resource: .statefulSets, object: sts)])
        var deleted: [String] = []
        for _ in 0..<20 {
            let result = cluster.reconcileStatefulSet()
            deleted += result.deleted(.pods)
            #expect(cluster.podCounts.total >= 2)  // never more than one pod down
            cluster.runPods()
        }
        #expect(deleted == ["web-2", "web-1", "web-0"])
        sts = try #require(cluster.get(.statefulSets, "web"))
        let status = sts["status"]
        #expect(status["currentRevision"] == status["updateRevision"])
        #expect(status["currentRevision"].stringValue != oldRevision)
        #expect(status.int("updatedReplicas") == 3)
        #expect(status.int("currentReplicas") == 3)
        #expect(Fixture.statefulSetRolloutStatus(sts).done)
        #expect(cluster.list(.pods).allSatisfy { $0["spec"]["containers"][0]["image"] == "nginx:1.26" })
        #expect(cluster.list(.controllerRevisions).count == 2)
    }

    @Test func partitionKeepsLowerOrdinalsOnCurrentRevision() throws {
        var cluster = settled(Fixture.statefulSet(replicas: 3, partition: 2))
        var sts = try #require(cluster.get(.statefulSets, "web"))
        let oldRevision = sts["status"]["currentRevision"]
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
        cluster.apply([.update(resource: .statefulSets, object: sts)])
        for _ in 0..<10 {
            cluster.reconcileStatefulSet()
            cluster.runPods()
        }
        let images = cluster.list(.pods).map { $0["spec"]["containers"][0]["image"].stringValue ?? "" }
        #expect(images == ["nginx:1.25", "nginx:1.25", "nginx:1.26"])
        sts = try #require(cluster.get(.statefulSets, "web"))
        #expect(sts["status"].int("updatedReplicas") == 1)
        #expect(sts["status"]["currentRevision"] == oldRevision)
        #expect(
            Fixture.statefulSetRolloutStatus(sts) == (
                true, "partitioned roll out complete: 1 new pods have been updated..."
            ))
        // A pod below the partition that is recreated keeps the current (old) template.
        cluster.apply([.delete(resource: .pods, namespace: "default", name: "web-0", preconditionUID: nil)])
        cluster.reconcileStatefulSet()
        #expect(cluster.get(.pods, "web-0")?["spec"]["containers"][0]["image"] == "nginx:1.25")
    }

    @Test func failedPodIsReplaced() throws {
        var cluster = settled(Fixture.statefulSet(replicas: 2))
        var pod = try #require(cluster.get(.pods, "web-1"))
        pod["status"]["phase"] = "Failed"
        cluster.objects[.pods]?["web-1"] = pod
        #expect(cluster.reconcileStatefulSet().deleted(.pods) == ["web-1"])
        #expect(cluster.reconcileStatefulSet().created(.pods).compactMap(\.name) == ["web-1"])
    }

    @Test func statusShape() throws {
        let cluster = settled(Fixture.statefulSet(replicas: 2))
        let status = try #require(cluster.get(.statefulSets, "web"))["status"]
        #expect(
            status.objectValue?.keys == [
                "observedGeneration", "replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                "currentRevision",
                "updateRevision", "collisionCount", "availableReplicas",
            ])
    }
}
