import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadJobTests {
    @Test func createsPodAndReportsActive() throws {
        let job = Fixture.job()
        let result = JobReconciler.reconcile(job: job, pods: [], now: Fixture.epoch)
        let pod = try #require(result.created(.pods).first)
        #expect(pod["metadata"]["generateName"] == "pi-")
        #expect(pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi")
        #expect(pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == "uid-pi")
        #expect(WorkloadReference.controllerUID(of: pod) == "uid-pi")
        #expect(pod["spec"]["restartPolicy"] == "Never")
        let status = try #require(result.statusUpdates(.jobs).first)["status"]
        #expect(
            status == [
                "startTime": .string(Fixture.time(0)), "active": 1, "terminating": 0, "uncountedTerminatedPods": [:],
                "ready": 0,
            ])
    }

    @Test func completesWithConditionsTimeAndEvent() throws {
        var cluster = FakeCluster()
        cluster.put(.jobs, Fixture.job())
        _ = cluster.reconcileJob()
        let podName = try #require(cluster.activePodNames.first)
        cluster.runPods()
        cluster.clock = cluster.clock.addingTimeInterval(30)
        cluster.finishPod(podName, phase: "Succeeded")
        let result = cluster.reconcileJob()
        let job = try #require(cluster.get(.jobs, "pi"))
        let status = job["status"]
        #expect(status.int("succeeded") == 1)
        #expect(status["active"].isNull)
        #expect(status["completionTime"] == .string(Fixture.time(30)))
        let conditions = try #require(status["conditions"].arrayValue)
        #expect(conditions.map { $0["type"] } == ["SuccessCriteriaMet", "Complete"])
        #expect(conditions[1]["reason"] == "CompletionsReached")
        #expect(conditions[1]["message"] == "Reached expected number of succeeded pods")
        #expect(
            conditions[1].objectValue?.keys == [
                "type", "status", "lastProbeTime", "lastTransitionTime", "reason", "message",
            ])
        #expect(
            status.objectValue?.keys == [
                "conditions", "startTime", "completionTime", "succeeded", "terminating", "uncountedTerminatedPods",
                "ready",
            ])
        #expect(result.events.map(\.reason) == ["Completed"])
        #expect(JobReconciler.isFinished(job))
        // Finished Jobs are left alone.
        #expect(JobReconciler.reconcile(job: job, pods: cluster.list(.pods), now: cluster.clock).actions.isEmpty)
    }

    @Test func parallelismBoundsActivePodsUntilCompletions() throws {
        var cluster = FakeCluster()
        cluster.put(.jobs, Fixture.job(completions: 5, parallelism: 2))
        var created = Set<String>()
        for _ in 0..<20 {
            _ = cluster.reconcileJob()
            let active = cluster.activePodNames
            created.formUnion(active)
            #expect(active.count <= 2)
            if JobReconciler.isFinished(cluster.get(.jobs, "pi") ?? .null) { break }
            cluster.clock = cluster.clock.addingTimeInterval(5)
            // One pod finishes per round.
            if let first = active.first { cluster.finishPod(first, phase: "Succeeded") }
        }
        let job = try #require(cluster.get(.jobs, "pi"))
        #expect(JobReconciler.isFinished(job))
        #expect(job["status"].int("succeeded") == 5)
        #expect(created.count == 5)
    }

    @Test func backoffLimitFailsJobAfterDelayedRetries() throws {
        var cluster = FakeCluster()
        cluster.put(.jobs, Fixture.job(backoffLimit: 2))
        _ = cluster.reconcileJob()
        var failures = 0
        var delays: [TimeInterval] = []
        for _ in 0..<30 {
            if let pod = cluster.activePodNames.first {
                cluster.finishPod(pod, phase: "Failed")
                failures += 1
            }
            let result = cluster.reconcileJob()
            if JobReconciler.isFinished(cluster.get(.jobs, "pi") ?? .null) { break }
            if cluster.activePodNames.isEmpty, let wait = result.requeueAfter {
                delays.append(wait)
                cluster.clock = cluster.clock.addingTimeInterval(wait.rounded(.up))
                _ = cluster.reconcileJob()
            }
        }
        #expect(failures == 3)
        #expect(delays == [10, 20])  // 10 s doubled per failure since the last success
        let job = try #require(cluster.get(.jobs, "pi"))
        let conditions = try #require(job["status"]["conditions"].arrayValue)
        #expect(conditions.map { $0["type"] } == ["FailureTarget", "Failed"])
        #expect(conditions[1]["reason"] == "BackoffLimitExceeded")
        #expect(conditions[1]["message"] == "Job has reached the specified backoff limit")
        #expect(job["status"].int("failed") == 3)
        #expect(job["status"]["completionTime"].isNull)
        #expect(cluster.events.contains { $0.reason == "BackoffLimitExceeded" && $0.type == "Warning" })
    }

    @Test func activeDeadlineDeletesPodsThenFails() throws {
        var job = Fixture.job(completions: 2, parallelism: 2)
        job["spec"]["activeDeadlineSeconds"] = 60
        var cluster = FakeCluster()
        cluster.put(.jobs, job)
        let first = cluster.reconcileJob()
        #expect(first.requeueAfter == 60)
        cluster.runPods()
        cluster.clock = cluster.clock.addingTimeInterval(61)
        let result = cluster.reconcileJob()
        #expect(result.deleted(.pods).count == 2)
        var status = cluster.get(.jobs, "pi")?["status"] ?? .null
        // Pods were just deleted: FailureTarget now, Failed once none is terminating.
        #expect(status["conditions"].arrayValue?.map { $0["type"] } == ["FailureTarget"])
        #expect(status.int("terminating") == 2)
        _ = cluster.reconcileJob()
        status = cluster.get(.jobs, "pi")?["status"] ?? .null
        #expect(status["conditions"].arrayValue?.map { $0["reason"] } == ["DeadlineExceeded", "DeadlineExceeded"])
        #expect(status["conditions"][1]["type"] == "Failed")
    }

    @Test func ttlAfterFinishedDeletesForeground() throws {
        var job = Fixture.job()
        job["spec"]["ttlSecondsAfterFinished"] = 100
        job["status"]["conditions"] = [
            ["type": "Complete", "status": "True", "lastTransitionTime": .string(Fixture.time(0))]
        ]
        let early = JobReconciler.reconcile(job: job, pods: [], now: Fixture.epoch.addingTimeInterval(40))
        #expect(early.actions.isEmpty)
        #expect(early.requeueAfter == 60)
        let late = JobReconciler.reconcile(job: job, pods: [], now: Fixture.epoch.addingTimeInterval(100))
        #expect(
            late.actions == [
                .delete(
                    resource: .jobs, namespace: "default", name: "pi", preconditionUID: "uid-pi",
                    propagationPolicy: "Foreground")
            ])
    }

    @Test func workQueueJobCompletesWhenAnySucceededAndNoneActive() throws {
        var cluster = FakeCluster()
        cluster.put(.jobs, Fixture.job(completions: nil, parallelism: 2))
        _ = cluster.reconcileJob()
        #expect(cluster.activePodNames.count == 2)
        let names = cluster.activePodNames
        cluster.finishPod(names[0], phase: "Succeeded")
        _ = cluster.reconcileJob()
        #expect(cluster.activePodNames == [names[1]])  // no replacement after a success
        #expect(!JobReconciler.isFinished(cluster.get(.jobs, "pi") ?? .null))
        cluster.finishPod(names[1], phase: "Succeeded")
        _ = cluster.reconcileJob()
        #expect(JobReconciler.isFinished(cluster.get(.jobs, "pi") ?? .null))
    }

    @Test func indexedJobRunsEachIndexOnce() throws {
        var job = Fixture.job(completions: 3, parallelism: 3)
        job["spec"]["completionMode"] = "Indexed"
        var cluster = FakeCluster()
        cluster.put(.jobs, job)
        _ = cluster.reconcileJob()
        let pods = cluster.list(.pods)
        #expect(pods.compactMap { $0.annotations[JobReconciler.completionIndexKey] }.sorted() == ["0", "1", "2"])
        let pod1 = try #require(pods.first { $0.annotations[JobReconciler.completionIndexKey] == "1" })
        #expect(pod1["spec"]["hostname"] == "pi-1")
        #expect(pod1["metadata"]["generateName"] == "pi-1-")
        #expect(pod1["spec"]["containers"][0]["env"][0]["name"] == "JOB_COMPLETION_INDEX")
        cluster.finishPod(pod1.name ?? "", phase: "Succeeded")
        _ = cluster.reconcileJob()
        #expect(cluster.get(.jobs, "pi")?["status"]["completedIndexes"] == "1")
        // A failed index is retried with a pod for the same index.
        let pod0 = try #require(pods.first { $0.annotations[JobReconciler.completionIndexKey] == "0" })
        cluster.finishPod(pod0.name ?? "", phase: "Failed")
        cluster.clock = cluster.clock.addingTimeInterval(11)
        _ = cluster.reconcileJob()
        let indexes = cluster.list(.pods).filter { WorkloadPod($0).isActive }.compactMap {
            $0.annotations[JobReconciler.completionIndexKey]
        }.sorted()
        #expect(indexes == ["0", "2"])
    }

    @Test(arguments: [([1, 3, 4, 5, 7], "1,3-5,7"), ([0, 1], "0,1"), ([2, 0, 1, 2], "0-2"), ([], "")])
    func completedIndexesFormat(indexes: [Int], expected: String) {
        #expect(JobReconciler.formatIndexes(indexes) == expected)
        #expect(JobSync.parseIndexes(expected) == Array(Set(indexes)).sorted())
    }

    @Test func suspendDeletesActivePodsAndRecordsCondition() throws {
        var cluster = FakeCluster()
        cluster.put(.jobs, Fixture.job(completions: 3, parallelism: 3))
        _ = cluster.reconcileJob()
        #expect(cluster.activePodNames.count == 3)
        var job = try #require(cluster.get(.jobs, "pi"))
        job["spec"]["suspend"] = true
        cluster.apply([.update(resource: .jobs, object: job)])
        let result = cluster.reconcileJob()
        #expect(result.deleted(.pods).count == 3)
        let suspended = WorkloadConditions.find(
            "Suspended", in: cluster.get(.jobs, "pi")?["status"]["conditions"] ?? .null)
        #expect(suspended?["status"] == "True")
        #expect(suspended?["reason"] == "JobSuspended")
        #expect(result.events.contains { $0.reason == "Suspended" })
    }

    @Test func onFailureRestartsCountAgainstBackoff() throws {
        let job = Fixture.job(backoffLimit: 2, restartPolicy: "OnFailure")
        let pod = Fixture.pod("pi-x", owner: job, ownerResource: .jobs, labels: [:], restarts: 2)
        let result = JobReconciler.reconcile(job: job, pods: [pod], now: Fixture.epoch)
        #expect(result.deleted(.pods) == ["pi-x"])
        let status = try #require(result.statusUpdates(.jobs).first)["status"]
        #expect(status["conditions"][0]["type"] == "FailureTarget")
        #expect(status["conditions"][0]["reason"] == "BackoffLimitExceeded")
    }
}
