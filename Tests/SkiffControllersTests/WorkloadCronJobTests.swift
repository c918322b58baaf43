import Foundation
import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct WorkloadCronScheduleTests {
    static func date(_ text: String) -> Date { WorkloadTime.parse(text) ?? .distantPast }

    @Test(arguments: [
        ("*/15 * * * *", "2024-03-10T10:07:30Z", "2024-03-10T10:15:00Z"),
        ("*/15 * * * *", "2024-03-10T10:15:00Z", "2024-03-10T10:30:00Z"),  // strictly after
        ("0 9 * * 1-5", "2024-03-08T10:00:00Z", "2024-03-11T09:00:00Z"),  // Friday → Monday
        ("30 6-16/4 * * *", "2024-03-10T10:31:00Z", "2024-03-10T14:30:00Z"),
        ("30 6-16/4 * * *", "2024-03-10T14:31:00Z", "2024-03-11T06:30:00Z"),
        ("0 0 29 2 *", "2023-03-01T00:00:00Z", "2024-02-29T00:00:00Z"),
        ("0 12 1 * mon", "2024-01-01T12:00:00Z", "2024-01-08T12:00:00Z"),  // day of month OR weekday
        ("0 0 * JAN,jul SUN", "2024-02-01T00:00:00Z", "2024-07-07T00:00:00Z"),
        ("0 0 1 * *", "2024-12-15T08:00:00Z", "2025-01-01T00:00:00Z"),
        ("59 23 31 12 *", "2024-06-01T00:00:00Z", "2024-12-31T23:59:00Z"),
        ("5/20 * * * *", "2024-03-10T10:06:00Z", "2024-03-10T10:25:00Z"),
        ("0 0 * * 0", "2024-03-10T00:00:00Z", "2024-03-17T00:00:00Z"),
        ("@hourly", "2024-03-10T10:07:00Z", "2024-03-10T11:00:00Z"),
        ("@daily", "2024-03-10T10:07:00Z", "2024-03-11T00:00:00Z"),
        ("@weekly", "2024-03-10T10:07:00Z", "2024-03-17T00:00:00Z"),
        ("@monthly", "2024-03-10T10:07:00Z", "2024-04-01T00:00:00Z"),
        ("@yearly", "2024-03-10T10:07:00Z", "2025-01-01T00:00:00Z"),
        ("@every 1h30m", "2024-03-10T10:07:00Z", "2024-03-10T11:37:00Z"),
        ("0 0 ? * 2", "2024-03-10T10:07:00Z", "2024-03-12T00:00:00Z"),
    ])
    func nextTimes(schedule: String, after: String, expected: String) throws {
        let parsed = try CronSchedule(parsing: schedule)
        #expect(parsed.next(after: Self.date(after)) == Self.date(expected))
    }

    @Test func impossibleDateHasNoNextTime() throws {
        #expect(try CronSchedule(parsing: "0 0 31 2 *").next(after: Self.date("2024-01-01T00:00:00Z")) == nil)
    }

    @Test(arguments: [
        ("* * * *", "expected exactly 5 fields, found 4: * * * *"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("a * * * *", "failed to parse int from a"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("TZ=UTC * * * * *", "time zones in the schedule are not supported; use spec.timeZone"),
    ])
    func rejects(schedule: String, message: String) {
        #expect(throws: CronSchedule.ParseError(message)) { try CronSchedule(parsing: schedule) }
    }
}

@Suite struct WorkloadCronJobTests {
    static func cronJob(schedule: String = "*/5 * * * *", policy: String = "Allow", deadline: Int? = nil) -> JSON {
        var cronJob: JSON = [
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": [
                "name": "backup", "namespace": "default", "uid": "uid-backup", "resourceVersion": "1",
                "creationTimestamp": "2024-03-10T10:01:00Z",
            ],
            "spec": [
                "schedule": .string(schedule), "concurrencyPolicy": .string(policy), "suspend": false,
                "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                "jobTemplate": [
                    "metadata": ["labels": ["team": "ops"]],
                    "spec": [
                        "template": [
                            "spec": ["containers": [["name": "b", "image": "busybox"]], "restartPolicy": "Never"]
                        ]
                    ],
                ],
            ],
        ]
        if let deadline { cronJob["spec"]["startingDeadlineSeconds"] = .int(deadline) }
        return cronJob
    }

    static func at(_ text: String) -> Date { WorkloadTime.parse(text) ?? .distantPast }

    static func job(
        _ name: String, owner: JSON, finished: String? = nil, started: String = "2024-03-10T10:05:00Z",
        completion: String? = nil
    ) -> JSON {
        var job: JSON = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "resourceVersion": "7",
                "ownerReferences": [WorkloadReference.controllerRef(to: owner, as: .cronJobs)],
            ],
            "status": ["startTime": .string(started)],
        ]
        if let finished {
            job["status"]["conditions"] = [
                ["type": .string(finished), "status": "True", "lastTransitionTime": .string(completion ?? started)]
            ]
        }
        if let completion, finished == "Complete" { job["status"]["completionTime"] = .string(completion) }
        return job
    }

    @Test func createsJobForMostRecentTime() throws {
        let cronJob = Self.cronJob()
        let result = CronJobReconciler.reconcile(cronJob: cronJob, jobs: [], now: Self.at("2024-03-10T10:06:20Z"))
        let job = try #require(result.created(.jobs).first)
        let scheduled = Self.at("2024-03-10T10:05:00Z")
        #expect(job.name == "backup-\(Int(scheduled.timeIntervalSince1970) / 60)")
        #expect(job.name == "backup-28501085")
        #expect(job["metadata"]["labels"] == ["team": "ops"])
        #expect(job.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2024-03-10T10:05:00Z")
        #expect(WorkloadReference.controllerUID(of: job) == "uid-backup")
        #expect(job["spec"]["template"]["spec"]["restartPolicy"] == "Never")
        #expect(result.events.map(\.message) == ["Created job backup-28501085"])
        let status = try #require(result.statusUpdates(.cronJobs).first)["status"]
        #expect(status["lastScheduleTime"] == "2024-03-10T10:05:00Z")
        #expect(status["active"].arrayValue?.map { $0["name"] } == ["backup-28501085"])
        // Wake up just after 10:10.
        let wait = try #require(result.requeueAfter)
        #expect(abs(wait - 220.1) < 0.01)
    }

    @Test func nothingBeforeFirstTime() throws {
        let result = CronJobReconciler.reconcile(
            cronJob: Self.cronJob(), jobs: [], now: Self.at("2024-03-10T10:03:00Z"))
        #expect(result.actions.isEmpty)
        #expect(abs((result.requeueAfter ?? 0) - 120.1) < 0.01)
    }

    @Test func tracksActiveJobThenCompletion() throws {
        var cronJob = Self.cronJob()
        cronJob["status"] = [
            "active": [["kind": "Job", "namespace": "default", "name": "backup-28501085", "apiVersion": "batch/v1"]],
            "lastScheduleTime": "2024-03-10T10:05:00Z",
        ]
        let running = Self.job("backup-28501085", owner: cronJob)
        var result = CronJobReconciler.reconcile(
            cronJob: cronJob, jobs: [running], now: Self.at("2024-03-10T10:07:00Z"))
        #expect(result.created(.jobs).isEmpty)
        let status = try #require(result.statusUpdates(.cronJobs).first)["status"]
        #expect(status["active"][0]["uid"] == "uid-backup-28501085")
        cronJob["status"] = status
        let done = Self.job("backup-28501085", owner: cronJob, finished: "Complete", completion: "2024-03-10T10:08:00Z")
        result = CronJobReconciler.reconcile(cronJob: cronJob, jobs: [done], now: Self.at("2024-03-10T10:09:00Z"))
        let after = try #require(result.statusUpdates(.cronJobs).first)["status"]
        #expect(after["active"].isNull)
        #expect(after["lastSuccessfulTime"] == "2024-03-10T10:08:00Z")
        #expect(result.events.map(\.message) == ["Saw completed job: backup-28501085, condition: Complete"])
    }

    @Test func forbidSkipsWhileActive() throws {
        var cronJob = Self.cronJob(policy: "Forbid")
        cronJob["status"] = [
            "active": [
                ["kind": "Job", "namespace": "default", "name": "backup-28501085", "uid": "uid-backup-28501085"]
            ], "lastScheduleTime": "2024-03-10T10:05:00Z",
        ]
        let running = Self.job("backup-28501085", owner: cronJob)
        let result = CronJobReconciler.reconcile(
            cronJob: cronJob, jobs: [running], now: Self.at("2024-03-10T10:10:30Z"))
        #expect(result.created(.jobs).isEmpty)
        #expect(result.events.map(\.reason) == ["JobAlreadyActive"])
    }

    @Test func replaceDeletesActiveThenCreates() throws {
        var cronJob = Self.cronJob(policy: "Replace")
        cronJob["status"] = [
            "active": [
                ["kind": "Job", "namespace": "default", "name": "backup-28501085", "uid": "uid-backup-28501085"]
            ], "lastScheduleTime": "2024-03-10T10:05:00Z",
        ]
        let running = Self.job("backup-28501085", owner: cronJob)
        let result = CronJobReconciler.reconcile(
            cronJob: cronJob, jobs: [running], now: Self.at("2024-03-10T10:10:30Z"))
        #expect(
            result.actions.first
                == .delete(
                    resource: .jobs, namespace: "default", name: "backup-28501085",
                    preconditionUID: "uid-backup-28501085", propagationPolicy: "Background"))
        #expect(result.created(.jobs).map(\.name) == ["backup-28501090"])
        let status = try #require(result.statusUpdates(.cronJobs).first)["status"]
        #expect(status["active"].arrayValue?.map { $0["name"] } == ["backup-28501090"])
    }

    @Test func allowRunsConcurrently() throws {
        var cronJob = Self.cronJob()
        cronJob["status"] = [
            "active": [
                ["kind": "Job", "namespace": "default", "name": "backup-28501085", "uid": "uid-backup-28501085"]
            ], "lastScheduleTime": "2024-03-10T10:05:00Z",
        ]
        let result = CronJobReconciler.reconcile(
            cronJob: cronJob, jobs: [Self.job("backup-28501085", owner: cronJob)], now: Self.at("2024-03-10T10:10:30Z"))
        #expect(result.created(.jobs).map(\.name) == ["backup-28501090"])
        #expect(result.statusUpdates(.cronJobs).first?["status"]["active"].arrayValue?.count == 2)
    }

    @Test func startingDeadlineMissed() throws {
        // Last ran at 10:05; at 10:13 the 10:10 run is 3 minutes late with a 60 s deadline.
        var cronJob = Self.cronJob(deadline: 60)
        cronJob["status"] = ["lastScheduleTime": "2024-03-10T10:05:00Z"]
        let late = CronJobReconciler.reconcile(cronJob: cronJob, jobs: [], now: Self.at("2024-03-10T10:13:00Z"))
        #expect(late.created(.jobs).isEmpty)
        // Times older than the deadline are not even considered: nothing unmet, no event.
        #expect(late.events.isEmpty)
        let onTime = CronJobReconciler.reconcile(cronJob: cronJob, jobs: [], now: Self.at("2024-03-10T10:10:40Z"))
        #expect(onTime.created(.jobs).count == 1)
    }

    @Test func tooManyMissedStillRunsLatest() throws {
        let result = CronJobReconciler.reconcile(
            cronJob: Self.cronJob(schedule: "* * * * *"), jobs: [], now: Self.at("2024-03-12T10:00:30Z"))
        #expect(result.events.first?.reason == "TooManyMissedTimes")
        #expect(
            result.created(.jobs).first?.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
                == "2024-03-12T10:00:00Z")
    }

    @Test func suspendedAndBadSchedulesDoNothing() {
        var suspended = Self.cronJob()
        suspended["spec"]["suspend"] = true
        #expect(
            CronJobReconciler.reconcile(cronJob: suspended, jobs: [], now: Self.at("2024-03-10T11:00:00Z")).actions
                .isEmpty)
        let broken = CronJobReconciler.reconcile(
            cronJob: Self.cronJob(schedule: "every day"), jobs: [], now: Self.at("2024-03-10T11:00:00Z"))
        #expect(broken.events.map(\.reason) == ["UnparseableSchedule"])
        #expect(broken.created(.jobs).isEmpty)
    }

    @Test func historyLimitsDeleteOldestFinished() throws {
        let cronJob = Self.cronJob()
        var jobs: [JSON] = []
        for minute in 0..<5 {
            jobs.append(
                Self.job(
                    "ok-\(minute)", owner: cronJob, finished: "Complete", started: "2024-03-10T10:0\(minute):00Z",
                    completion: "2024-03-10T10:0\(minute):30Z"))
        }
        jobs.append(Self.job("bad-1", owner: cronJob, finished: "Failed", started: "2024-03-10T10:01:00Z"))
        jobs.append(Self.job("bad-2", owner: cronJob, finished: "Failed", started: "2024-03-10T10:02:00Z"))
        let result = CronJobReconciler.reconcile(cronJob: cronJob, jobs: jobs, now: Self.at("2024-03-10T10:04:40Z"))
        #expect(result.deleted(.jobs) == ["ok-0", "ok-1", "bad-1"])
        #expect(
            result.events.filter { $0.reason == "SuccessfulDelete" }.map(\.message) == [
                "Deleted job ok-0", "Deleted job ok-1", "Deleted job bad-1",
            ])
    }

    @Test func repeatedReconcileDoesNotDuplicate() throws {
        var cluster = FakeCluster()
        cluster.put(.cronJobs, Self.cronJob())
        cluster.clock = Self.at("2024-03-10T10:06:00Z")
        for _ in 0..<3 {
            let result = CronJobReconciler.reconcile(
                cronJob: cluster.get(.cronJobs, "backup") ?? .null, jobs: cluster.list(.jobs), now: cluster.clock)
            cluster.apply(result.actions)
        }
        #expect(cluster.list(.jobs).map(\.name) == ["backup-28501085"])
        #expect(
            cluster.get(.cronJobs, "backup")?["status"]["active"][0]["uid"] == .string(cluster.list(.jobs)[0].uid ?? "")
        )
        cluster.clock = Self.at("2024-03-10T10:11:00Z")
        cluster.apply(
            CronJobReconciler.reconcile(
                cronJob: cluster.get(.cronJobs, "backup") ?? .null, jobs: cluster.list(.jobs), now: cluster.clock
            ).actions)
        #expect(cluster.list(.jobs).count == 2)
    }
}
