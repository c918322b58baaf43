import Foundation
import SkiffModel

/// The CronJob controller's reconcile (upstream `pkg/controller/cronjob`, the v2 controller): create a Job for the
/// most recent unmet schedule time, honouring the concurrency policy and starting deadline, track active Jobs, and
/// trim finished ones to the history limits. Schedules are evaluated in UTC.
public enum CronJobReconciler {
    /// The annotation with the scheduled time on each Job (RFC 3339).
    public static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"
    /// How many missed start times make upstream warn (`TooManyMissedTimes`).
    public static let manyMissedLimit = 100

    /// The deterministic Job name for a scheduled time: `<cronjob>-<unix minutes>`; it doubles as a lock against
    /// creating the same run twice.
    public static func jobName(cronJob: String, scheduledTime: Date) -> String {
        "\(cronJob)-\(Int64(scheduledTime.timeIntervalSince1970.rounded(.down)) / 60)"
    }

    /// Reconciles `cronJob` against the Jobs of its namespace at `now`.
    public static func reconcile(cronJob: JSON, jobs: [JSON], now: Date) -> WorkloadReconcileResult {
        var sync = CronJobSync(cronJob: cronJob, now: now)
        let owned = jobs.filter { WorkloadReference.isControlled($0, byUID: cronJob.uid) }
        sync.run(jobs: owned)
        sync.cleanupFinished(jobs: owned)
        return sync.finish()
    }

    /// Upstream `mostRecentScheduleTime`: the latest schedule time in (earliest, now], where earliest is the last
    /// schedule time (or creation), moved up to `now - startingDeadlineSeconds` when asked; plus how many were
    /// missed.
    public static func mostRecentScheduleTime(
        cronJob: JSON, schedule: CronSchedule, now: Date, includeStartingDeadline: Bool
    ) -> (earliest: Date, mostRecent: Date?, missed: Int, invalid: Bool) {
        var earliest =
            WorkloadTime.parse(cronJob["status"]["lastScheduleTime"])
            ?? WorkloadTime.parse(cronJob["metadata"]["creationTimestamp"]) ?? now
        if includeStartingDeadline, let deadline = cronJob["spec"]["startingDeadlineSeconds"].intValue {
            let limit = now.addingTimeInterval(-TimeInterval(deadline))
            if limit > earliest { earliest = limit }
        }
        guard let first = schedule.next(after: earliest), first <= now else { return (earliest, nil, 0, false) }
        guard let second = schedule.next(after: first), second <= now else { return (earliest, first, 0, false) }
        let between = Int64(second.timeIntervalSince(first).rounded())
        guard between >= 1 else { return (earliest, nil, 0, true) }
        let elapsed = Int64(now.timeIntervalSince(first))
        let missed = Int(elapsed / between + 1)
        // Jump close to now, then walk forward (exact for irregular schedules such as `30 6-16/4 * * 1-5`).
        var cursor = first.addingTimeInterval(TimeInterval(Int64(missed - 2) * between))
        if cursor < earliest { cursor = earliest }
        var mostRecent: Date?
        while let next = schedule.next(after: cursor), next <= now {
            mostRecent = next
            cursor = next
        }
        return (earliest, mostRecent, missed, false)
    }
}

/// One CronJob sync.
struct CronJobSync {
    var cronJob: JSON
    let original: JSON
    let now: Date
    var writes = WorkloadWrites()
    var result = WorkloadReconcileResult()

    init(cronJob: JSON, now: Date) {
        self.cronJob = cronJob
        original = cronJob
        self.now = now
    }

    var name: String { cronJob.name ?? "" }
    var active: [JSON] {
        get { cronJob["status"]["active"].arrayValue ?? [] }
        set {
            if newValue.isEmpty {
                cronJob["status"].removeValue(forKey: "active")
            } else {
                cronJob["status"]["active"] = .array(newValue)
            }
        }
    }

    static func isActiveReference(_ reference: JSON, to job: JSON) -> Bool {
        if let uid = reference["uid"].stringValue { return uid == job.uid }
        return reference["name"].stringValue == job.name
    }

    static func reference(to job: JSON) -> JSON {
        var reference: JSON = [
            "kind": "Job", "namespace": .string(job.namespace ?? "default"), "name": .string(job.name ?? ""),
        ]
        if let uid = job.uid { reference["uid"] = .string(uid) }
        reference["apiVersion"] = "batch/v1"
        if let version = job.resourceVersion { reference["resourceVersion"] = .string(version) }
        return reference
    }

    mutating func run(jobs: [JSON]) {
        trackJobs(jobs)
        guard cronJob["metadata"]["deletionTimestamp"].isNull else { return }
        if let zone = cronJob["spec"]["timeZone"].stringValue, !["UTC", "Etc/UTC", ""].contains(zone) {
            writes.event(cronJob, "Warning", "UnknownTimeZone", "invalid timeZone: \"\(zone)\": only UTC is supported")
            return
        }
        guard cronJob["spec"]["suspend"].boolValue != true else { return }
        let text = cronJob["spec"]["schedule"].stringValue ?? ""
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(parsing: text)
        } catch {
            writes.event(
                cronJob, "Warning", "UnparseableSchedule", "unparseable schedule: \"\(text)\" : \(error.message)")
            return
        }
        let recent = CronJobReconciler.mostRecentScheduleTime(
            cronJob: cronJob, schedule: schedule, now: now, includeStartingDeadline: true)
        if recent.invalid {
            writes.event(
                cronJob, "Warning", "InvalidSchedule",
                "invalid schedule: \(text) : time difference between two schedules is less than 1 second")
            return
        }
        if recent.missed > CronJobReconciler.manyMissedLimit {
            writes.event(
                cronJob, "Warning", "TooManyMissedTimes",
                "too many missed start times: \(recent.missed). Set or decrease .spec.startingDeadlineSeconds or check clock skew"
            )
        }
        defer { requeueForNext(schedule) }
        guard let scheduled = recent.mostRecent else { return }
        if let deadline = cronJob["spec"]["startingDeadlineSeconds"].intValue,
            scheduled.addingTimeInterval(TimeInterval(deadline)) < now
        {
            writes.event(
                cronJob, "Warning", "MissSchedule", "Missed scheduled time to start a job: \(Self.rfc1123(scheduled))")
            return
        }
        let jobName = CronJobReconciler.jobName(cronJob: name, scheduledTime: scheduled)
        if active.contains(where: { $0["name"].stringValue == jobName })
            || WorkloadTime.parse(cronJob["status"]["lastScheduleTime"]) == scheduled
        {
            return
        }
        let policy = cronJob["spec"]["concurrencyPolicy"].stringValue ?? "Allow"
        if policy == "Forbid" && !active.isEmpty {
            writes.event(
                cronJob, "Normal", "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid")
            return
        }
        if policy == "Replace" {
            for reference in active {
                let job =
                    jobs.first { Self.isActiveReference(reference, to: $0) } ?? [
                        "metadata": [
                            "name": reference["name"], "namespace": reference["namespace"], "uid": reference["uid"],
                        ]
                    ]
                deleteJob(job)
            }
        }
        if jobs.contains(where: { $0.name == jobName }) {
            // Created earlier but not yet recorded: record it below without creating it again.
        } else {
            writes.create(.jobs, newJob(name: jobName, scheduled: scheduled))
            writes.event(cronJob, "Normal", "SuccessfulCreate", "Created job \(jobName)")
        }
        // The uid is not known until the Job exists; the next sync fills it in from the observed Job.
        var reference: JSON = [
            "kind": "Job", "namespace": .string(cronJob.namespace ?? "default"), "name": .string(jobName),
            "apiVersion": "batch/v1",
        ]
        if let existing = jobs.first(where: { $0.name == jobName }) { reference = Self.reference(to: existing) }
        var list = active
        list.append(reference)
        active = list
        cronJob["status"]["lastScheduleTime"] = WorkloadTime.json(scheduled)
        cronJob["status"] = Self.ordered(cronJob["status"])
    }

    /// Keeps `status.active` in line with the Jobs that exist: finished ones leave it (recording the last
    /// success), missing ones are dropped, running ones not listed are added.
    mutating func trackJobs(_ jobs: [JSON]) {
        var list = active
        for job in jobs {
            let index = list.firstIndex { Self.isActiveReference($0, to: job) }
            let finished = JobReconciler.finishedCondition(job)
            if let index {
                if let finished {
                    list.remove(at: index)
                    writes.event(
                        cronJob, "Normal", "SawCompletedJob",
                        "Saw completed job: \(job.name ?? ""), condition: \(finished["type"].stringValue ?? "")")
                } else if list[index]["uid"].isNull {
                    list[index] = Self.reference(to: job)
                }
            } else if finished == nil {
                if !(job.name ?? "").hasPrefix("\(name)-") {
                    writes.event(
                        cronJob, "Warning", "UnexpectedJob",
                        "Saw a job that the controller did not create or forgot: \(job.name ?? "")")
                }
                list.append(Self.reference(to: job))
            }
            if let completed = WorkloadTime.parse(job["status"]["completionTime"]) {
                let last = WorkloadTime.parse(cronJob["status"]["lastSuccessfulTime"])
                if last.map({ completed > $0 }) ?? true {
                    cronJob["status"]["lastSuccessfulTime"] = WorkloadTime.json(completed)
                }
            }
        }
        // A listed Job that no longer exists went missing (a just-created one without uid is still in flight).
        list.removeAll { reference in
            guard !reference["uid"].isNull, !jobs.contains(where: { Self.isActiveReference(reference, to: $0) }) else {
                return false
            }
            writes.event(
                cronJob, "Normal", "MissingJob", "Active job went missing: \(reference["name"].stringValue ?? "")")
            return true
        }
        active = list
        cronJob["status"] = Self.ordered(cronJob["status"])
    }

    /// The Job for a scheduled time: the job template's labels, annotations and spec, the scheduled-time
    /// annotation and a controller reference.
    func newJob(name jobName: String, scheduled: Date) -> JSON {
        let template = cronJob["spec"]["jobTemplate"]
        var metadata: JSON = ["name": .string(jobName), "namespace": .string(cronJob.namespace ?? "default")]
        if let labels = template["metadata"]["labels"].objectValue, !labels.isEmpty {
            metadata["labels"] = .object(labels)
        }
        var annotations = template["metadata"]["annotations"].objectValue.map(JSON.object) ?? .emptyObject
        annotations[CronJobReconciler.scheduledTimestampAnnotation] = WorkloadTime.json(scheduled)
        metadata["annotations"] = annotations
        metadata["ownerReferences"] = [WorkloadReference.controllerRef(to: cronJob, as: .cronJobs)]
        return [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": template["spec"].isNull ? .emptyObject : template["spec"],
        ]
    }

    /// Upstream `deleteJob`: background deletion, out of the active list, an event.
    mutating func deleteJob(_ job: JSON) {
        writes.delete(.jobs, job, propagationPolicy: "Background")
        active = active.filter { !Self.isActiveReference($0, to: job) }
        writes.event(cronJob, "Normal", "SuccessfulDelete", "Deleted job \(job.name ?? "")")
    }

    /// Upstream `cleanupFinishedJobs`: delete the oldest finished Jobs beyond the history limits.
    mutating func cleanupFinished(jobs: [JSON]) {
        var succeeded: [JSON] = []
        var failed: [JSON] = []
        for job in jobs {
            switch JobReconciler.finishedCondition(job)?["type"].stringValue {
            case "Complete": succeeded.append(job)
            case "Failed": failed.append(job)
            default: break
            }
        }
        for (list, key) in [(succeeded, "successfulJobsHistoryLimit"), (failed, "failedJobsHistoryLimit")] {
            guard let limit = cronJob["spec"][key].intValue, list.count > limit else { continue }
            for job in list.sorted(by: Self.startedBefore).prefix(list.count - limit) { deleteJob(job) }
        }
    }

    /// Upstream `byJobStartTime`: by start time, Jobs without one last, then by name.
    static func startedBefore(_ a: JSON, _ b: JSON) -> Bool {
        let (sa, sb) = (WorkloadTime.parse(a["status"]["startTime"]), WorkloadTime.parse(b["status"]["startTime"]))
        switch (sa, sb) {
        case (nil, .some): return false
        case (.some, nil): return true
        case (.some(let x), .some(let y)) where x != y: return x < y
        default: return (a.name ?? "") < (b.name ?? "")
        }
    }

    /// Upstream `nextScheduleTimeDuration`: wake up just after the next schedule time.
    mutating func requeueForNext(_ schedule: CronSchedule) {
        let recent = CronJobReconciler.mostRecentScheduleTime(
            cronJob: cronJob, schedule: schedule, now: now, includeStartingDeadline: false)
        guard !recent.invalid, let next = schedule.next(after: recent.mostRecent ?? recent.earliest) else { return }
        result.requeue(after: next.timeIntervalSince(now) + 0.1)
    }

    func finish() -> WorkloadReconcileResult {
        var result = self.result
        var writes = self.writes
        if cronJob["status"] != original["status"] { writes.updateStatus(.cronJobs, cronJob) }
        result.actions = writes.actions
        return result
    }

    /// Go's `time.RFC1123Z` in UTC: `Mon, 02 Jan 2006 15:04:05 -0700`.
    static func rfc1123(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = CronSchedule.floorDiv(seconds, 86_400)
        let (year, month, day) = KubeTimestamp.civil(days: days)
        let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][CronSchedule.floorMod(days + 4, 7)]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]
        let secondOfDay = CronSchedule.floorMod(seconds, 86_400)
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return
            "\(weekday), \(pad(day)) \(monthName) \(year) \(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60)) +0000"
    }

    /// Status members in the Go struct's order.
    static func ordered(_ status: JSON) -> JSON {
        guard let object = status.objectValue else { return status }
        var result = JSONObject()
        for key in ["active", "lastScheduleTime", "lastSuccessfulTime"] {
            if let value = object[key] { _ = result.updateValue(value, forKey: key) }
        }
        for (key, value) in object where !["active", "lastScheduleTime", "lastSuccessfulTime"].contains(key) {
            _ = result.updateValue(value, forKey: key)
        }
        return .object(result)
    }
}
