import Foundation
import SkiffModel

/// The Job controller's reconcile (upstream `pkg/controller/job`, 1.32 behaviour) plus the TTL-after-finished
/// controller: run pods until `completions` succeed or the Job fails, then delete it after its TTL.
///
/// Conditions follow 1.32 (where `JobPodReplacementPolicy` and `JobSuccessPolicy` are on): success first records
/// `SuccessCriteriaMet` (reason `CompletionsReached`) and then `Complete`; failure records `FailureTarget` (reason
/// `BackoffLimitExceeded` or `DeadlineExceeded`), deletes the active pods, and adds `Failed` once none is still
/// terminating.
///
/// Counting differs from upstream on purpose: upstream puts a `batch.kubernetes.io/job-tracking` finalizer on every
/// pod and counts a pod when it removes that finalizer, which needs a runtime that also strips the finalizer from
/// pods whose Job is gone. Here `succeeded` and `failed` are the counts of Succeeded and Failed pods that exist,
/// never lower than what the status already says (so deleting a finished pod does not lose its count).
public enum JobReconciler {
    /// At most this many pods are created or deleted per reconcile (upstream `MaxPodCreateDeletePerSync`).
    public static let maxPodChangesPerSync = 500
    /// The first delay before replacing a failed pod; it doubles per failure since the last success.
    public static let podFailureBackoff: TimeInterval = 10
    /// The longest delay before replacing a failed pod.
    public static let maxPodFailureBackoff: TimeInterval = 600
    /// The annotation and label with the completion index of an Indexed Job's pod.
    public static let completionIndexKey = "batch.kubernetes.io/job-completion-index"

    /// Reconciles `job` against the pods of its namespace at `now`.
    public static func reconcile(job: JSON, pods: [JSON], now: Date) -> WorkloadReconcileResult {
        var sync = JobSync(job: job, now: now)
        if isFinished(job) {
            sync.result = ttlAfterFinished(job: job, now: now)
            return sync.result
        }
        sync.run(pods: pods)
        return sync.finish()
    }

    /// Whether the Job has a `Complete` or `Failed` condition that is `True`.
    public static func isFinished(_ job: JSON) -> Bool { finishedCondition(job) != nil }

    /// The terminal condition (`Complete` or `Failed` with status `True`), if any.
    public static func finishedCondition(_ job: JSON) -> JSON? {
        job["status"]["conditions"].arrayValue?.first {
            ($0["type"] == "Complete" || $0["type"] == "Failed") && $0["status"] == "True"
        }
    }

    /// When the Job finished: the transition time of its terminal condition.
    public static func finishTime(_ job: JSON) -> Date? {
        finishedCondition(job).flatMap { WorkloadTime.parse($0["lastTransitionTime"]) }
    }

    /// The TTL-after-finished controller: delete a finished Job (foreground, so its pods go first) once
    /// `ttlSecondsAfterFinished` has passed since it finished; otherwise requeue for that moment.
    public static func ttlAfterFinished(job: JSON, now: Date) -> WorkloadReconcileResult {
        guard job["metadata"]["deletionTimestamp"].isNull, let ttl = job["spec"]["ttlSecondsAfterFinished"].intValue,
            let finished = finishTime(job)
        else { return WorkloadReconcileResult() }
        let left = finished.addingTimeInterval(TimeInterval(ttl)).timeIntervalSince(now)
        guard left <= 0 else { return WorkloadReconcileResult(requeueAfter: left) }
        return WorkloadReconcileResult(actions: [
            .delete(
                resource: .jobs, namespace: job.namespace ?? "default", name: job.name ?? "", preconditionUID: job.uid,
                propagationPolicy: "Foreground")
        ])
    }

    /// Upstream's compressed index list: `1,3-5,7` (three or more consecutive indexes become a range).
    public static func formatIndexes(_ indexes: [Int]) -> String {
        let sorted = Array(Set(indexes)).sorted()
        var parts: [String] = []
        var start = 0
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            if end - start >= 2 {
                parts.append("\(sorted[start])-\(sorted[end])")
            } else {
                for i in start...end { parts.append(String(sorted[i])) }
            }
            start = end + 1
        }
        return parts.joined(separator: ",")
    }
}

/// One Job sync.
struct JobSync {
    var job: JSON
    let original: JSON
    let now: Date
    var writes = WorkloadWrites()
    var result = WorkloadReconcileResult()

    init(job: JSON, now: Date) {
        self.job = job
        original = job
        self.now = now
    }

    var name: String { job.name ?? "" }
    var uid: String { job.uid ?? "" }
    var completions: Int? { job["spec"]["completions"].intValue }
    var parallelism: Int { max(0, job["spec"]["parallelism"].intValue ?? 1) }
    var backoffLimit: Int { job["spec"]["backoffLimit"].intValue ?? 6 }
    var suspended: Bool { job["spec"]["suspend"].boolValue == true }
    var isIndexed: Bool { job["spec"]["completionMode"].stringValue == "Indexed" }
    var conditions: JSON { job["status"]["conditions"] }

    /// Pods of this Job: claimed through the selector, or — when the API server did not generate one — those
    /// it controls.
    mutating func claimPods(_ pods: [JSON]) -> [JSON] {
        let selectorJSON = job["spec"]["selector"]
        if selectorJSON.isNull {
            return pods.filter { WorkloadReference.isControlled($0, byUID: uid) }
        }
        guard let selector = try? LabelSelector(labelSelector: selectorJSON) else { return [] }
        let claim = ControllerClaim.claim(pods, resource: .pods, owner: job, ownerResource: .jobs, selector: selector)
        writes.append(contentsOf: claim.actions)
        return claim.claimed
    }

    mutating func run(pods input: [JSON]) {
        let pods = claimPods(input).map(WorkloadPod.init)
        var activePods = pods.filter(\.isActive)
        var active = activePods.count
        var ready = activePods.filter(\.isReady).count
        var terminating = pods.filter { $0.isTerminating && !$0.isTerminal }.count

        let observedSucceeded = pods.filter { $0.phase == "Succeeded" }
        let observedFailed = pods.filter { $0.phase == "Failed" }
        var succeededIndexes: [Int] = []
        var succeeded: Int
        if isIndexed {
            let limit = completions ?? 0
            succeededIndexes = Array(
                Set(
                    observedSucceeded.compactMap { Self.index(of: $0) }.filter { $0 >= 0 && $0 < limit }
                        + Self.parseIndexes(job["status"]["completedIndexes"].stringValue ?? "").filter { $0 < limit }))
            succeeded = succeededIndexes.count
        } else {
            succeeded = max(job["status"]["succeeded"].intValue ?? 0, observedSucceeded.count)
        }
        let failed = max(job["status"]["failed"].intValue ?? 0, observedFailed.count)

        if job["status"]["startTime"].isNull && !suspended { job["status"]["startTime"] = WorkloadTime.json(now) }

        // The reason the Job is done, interim or final, as upstream's `finishedCondition`.
        var finished: (success: Bool, reason: String, message: String)?
        if let met = WorkloadConditions.find("SuccessCriteriaMet", in: conditions), met["status"] == "True" {
            finished = (true, met["reason"].stringValue ?? "", met["message"].stringValue ?? "")
        } else if let target = WorkloadConditions.find("FailureTarget", in: conditions), target["status"] == "True" {
            finished = (false, target["reason"].stringValue ?? "", target["message"].stringValue ?? "")
        } else if failed > backoffLimit || pastBackoffLimitOnFailure(pods) {
            finished = (false, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        } else if pastActiveDeadline() {
            finished = (false, "DeadlineExceeded", "Job was active longer than specified deadline")
        } else if let deadline = job["spec"]["activeDeadlineSeconds"].intValue, !suspended,
            let start = WorkloadTime.parse(job["status"]["startTime"])
        {
            result.requeue(after: start.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now))
        }

        if let finished, !finished.success {
            for pod in PodDeletionOrder.sorted(activePods).prefix(JobReconciler.maxPodChangesPerSync) {
                deletePod(pod)
                active -= 1
                terminating += 1
                if pod.isReady { ready -= 1 }
            }
        } else if finished == nil {
            if job["metadata"]["deletionTimestamp"].isNull {
                (active, ready, terminating) = manage(
                    activePods: &activePods, succeeded: succeeded, succeededIndexes: Set(succeededIndexes),
                    pods: pods, ready: ready, terminating: terminating)
                updateSuspendCondition()
            }
            let complete = completions.map { succeeded >= $0 && active == 0 } ?? (succeeded > 0 && active == 0)
            if complete { finished = (true, "CompletionsReached", "Reached expected number of succeeded pods") }
        }

        var status = job["status"].objectValue.map(JSON.object) ?? .emptyObject
        status["active"] = active > 0 ? .int(active) : nil
        status["succeeded"] = succeeded > 0 ? .int(succeeded) : nil
        status["failed"] = failed > 0 ? .int(failed) : nil
        status["terminating"] = .int(terminating)
        if isIndexed {
            let text = JobReconciler.formatIndexes(succeededIndexes)
            status["completedIndexes"] = text.isEmpty ? nil : .string(text)
        }
        if status["uncountedTerminatedPods"].isNull { status["uncountedTerminatedPods"] = .emptyObject }
        status["ready"] = .int(ready)
        job["status"] = Self.ordered(status.removingNulls())

        if let finished {
            let interim = finished.success ? "SuccessCriteriaMet" : "FailureTarget"
            if WorkloadConditions.find(interim, in: conditions) == nil {
                appendCondition(interim, reason: finished.reason, message: finished.message)
            }
            // The terminal condition waits until no pod is still terminating.
            if terminating == 0 {
                let terminal = finished.success ? "Complete" : "Failed"
                appendCondition(terminal, reason: finished.reason, message: finished.message)
                if finished.success {
                    job["status"]["completionTime"] = WorkloadTime.json(now)
                    job["status"] = Self.ordered(job["status"])
                    writes.event(job, "Normal", "Completed", "Job completed")
                } else {
                    writes.event(job, "Warning", finished.reason, finished.message)
                }
                if let ttl = job["spec"]["ttlSecondsAfterFinished"].intValue {
                    result.requeue(after: TimeInterval(ttl))
                }
            }
        }
    }

    func finish() -> WorkloadReconcileResult {
        var result = self.result
        var writes = self.writes
        if job["status"] != original["status"] { writes.updateStatus(.jobs, job) }
        result.actions = writes.actions
        return result
    }

    /// Upstream `manageJob`: create or delete pods towards the wanted number of active ones.
    mutating func manage(
        activePods: inout [WorkloadPod], succeeded: Int, succeededIndexes: Set<Int>, pods: [WorkloadPod], ready: Int,
        terminating: Int
    ) -> (active: Int, ready: Int, terminating: Int) {
        var active = activePods.count
        var ready = ready
        var terminating = terminating
        if suspended {
            for pod in PodDeletionOrder.sorted(activePods).prefix(JobReconciler.maxPodChangesPerSync) {
                deletePod(pod)
                active -= 1
                terminating += 1
                if pod.isReady { ready -= 1 }
            }
            return (active, ready, terminating)
        }
        var wantActive: Int
        if let completions {
            wantActive = min(max(0, completions - succeeded), parallelism)
        } else {
            wantActive = succeeded > 0 ? active : parallelism
        }
        let toRemove = removalCandidates(activePods, wantActive: wantActive, succeededIndexes: succeededIndexes)
        if !toRemove.isEmpty {
            for pod in toRemove.prefix(JobReconciler.maxPodChangesPerSync) {
                deletePod(pod)
                active -= 1
                terminating += 1
                if pod.isReady { ready -= 1 }
            }
            return (active, ready, terminating)
        }
        // podReplacementPolicy Failed waits for terminating pods to be gone before replacing them.
        let waitForTerminating = job["spec"]["podReplacementPolicy"].stringValue == "Failed" ? terminating : 0
        let missing = wantActive - waitForTerminating - active
        guard missing > 0 else { return (active, ready, terminating) }
        if let wait = backoffRemaining(pods), wait > 0 {
            result.requeue(after: wait)
            return (active, ready, terminating)
        }
        if isIndexed {
            let running = Set(activePods.compactMap { Self.index(of: $0) })
            let limit = completions ?? 0
            let pending = (0..<limit).filter { !succeededIndexes.contains($0) && !running.contains($0) }
            for index in pending.prefix(min(missing, JobReconciler.maxPodChangesPerSync)) {
                writes.create(.pods, newPod(index: index))
                active += 1
            }
        } else {
            for _ in 0..<min(missing, JobReconciler.maxPodChangesPerSync) {
                writes.create(.pods, newPod(index: nil))
                active += 1
            }
        }
        return (active, ready, terminating)
    }

    /// Active pods to delete: for Indexed Jobs duplicates, out-of-range and already-succeeded indexes first;
    /// then the excess over `wantActive` in deletion order.
    func removalCandidates(_ activePods: [WorkloadPod], wantActive: Int, succeededIndexes: Set<Int>) -> [WorkloadPod] {
        var remove: [WorkloadPod] = []
        var keep: [WorkloadPod] = activePods
        if isIndexed {
            keep = []
            var seen = Set<Int>()
            let limit = completions ?? 0
            // Prefer keeping the pod that has made the most progress for each index.
            for pod in PodDeletionOrder.sorted(activePods).reversed() {
                guard let index = Self.index(of: pod), index < limit, !succeededIndexes.contains(index),
                    !seen.contains(index)
                else {
                    remove.append(pod)
                    continue
                }
                seen.insert(index)
                keep.append(pod)
            }
        }
        let excess = keep.count - wantActive
        if excess > 0 { remove += PodDeletionOrder.sorted(keep).prefix(excess) }
        return remove
    }

    mutating func deletePod(_ pod: WorkloadPod) {
        writes.delete(.pods, pod.object)
        writes.event(job, "Normal", "SuccessfulDelete", "Deleted pod: \(pod.name)")
    }

    /// A pod for the Job: its template plus the labels the API server would have put on the template, and for
    /// Indexed Jobs the completion index (annotation, label, env, hostname, `<job>-<index>-` name prefix).
    func newPod(index: Int?) -> JSON {
        var template = job["spec"]["template"]
        for (key, value) in [
            ("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
            ("controller-uid", uid),
            ("job-name", name),
        ] where template["metadata"]["labels"][key].isNull {
            template["metadata"]["labels"][key] = .string(value)
        }
        var pod = WorkloadPodTemplate.pod(from: template, owner: job, ownerResource: .jobs)
        if let index {
            pod["metadata"]["generateName"] = .string("\(name)-\(index)-")
            pod["metadata"]["annotations"][JobReconciler.completionIndexKey] = .string(String(index))
            pod["metadata"]["labels"][JobReconciler.completionIndexKey] = .string(String(index))
            if pod["spec"]["hostname"].isNull { pod["spec"]["hostname"] = .string("\(name)-\(index)") }
            let env: JSON = [
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": [
                    "fieldRef": [
                        "apiVersion": "v1",
                        "fieldPath": .string("metadata.labels['\(JobReconciler.completionIndexKey)']"),
                    ]
                ],
            ]
            for field in ["initContainers", "containers"] {
                guard var containers = pod["spec"][field].arrayValue else { continue }
                for i in containers.indices
                where !(containers[i]["env"].arrayValue ?? []).contains(where: {
                    $0["name"] == "JOB_COMPLETION_INDEX"
                }) {
                    containers[i]["env"].append(env)
                }
                pod["spec"][field] = .array(containers)
            }
        }
        return pod
    }

    /// Upstream `pastBackoffLimitOnFailure`: with `restartPolicy: OnFailure`, container restarts of running pods
    /// count against the backoff limit.
    func pastBackoffLimitOnFailure(_ pods: [WorkloadPod]) -> Bool {
        guard job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure" else { return false }
        let restarts = pods.filter { $0.phase == "Running" || $0.phase == "Pending" }.map(\.totalRestartCount).reduce(
            0, +)
        return backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit
    }

    /// Upstream `pastActiveDeadline`.
    func pastActiveDeadline() -> Bool {
        guard let deadline = job["spec"]["activeDeadlineSeconds"].intValue, !suspended,
            let start = WorkloadTime.parse(job["status"]["startTime"])
        else { return false }
        return now.timeIntervalSince(start) >= TimeInterval(deadline)
    }

    /// The wait before creating replacement pods: 10 s doubled per failure since the last success, capped at
    /// 10 min, counted from the last failure (upstream's pod failure backoff).
    func backoffRemaining(_ pods: [WorkloadPod]) -> TimeInterval? {
        let lastSuccess = pods.filter { $0.phase == "Succeeded" }.compactMap(\.finishTime).max()
        let failures = pods.filter { $0.phase == "Failed" }.compactMap(\.finishTime).filter { time in
            lastSuccess.map { time > $0 } ?? true
        }
        guard let lastFailure = failures.max(), !failures.isEmpty else { return nil }
        let exponent = min(failures.count - 1, 30)
        let delay = min(JobReconciler.podFailureBackoff * pow(2, Double(exponent)), JobReconciler.maxPodFailureBackoff)
        let remaining = delay - now.timeIntervalSince(lastFailure)
        return remaining > 0 ? remaining : nil
    }

    /// The `Suspended` condition and its events; a resumed Job restarts its active deadline.
    mutating func updateSuspendCondition() {
        let current = WorkloadConditions.find("Suspended", in: conditions)
        if suspended {
            guard current?["status"] != "True" else { return }
            setCondition("Suspended", status: "True", reason: "JobSuspended", message: "Job suspended")
            writes.event(job, "Normal", "Suspended", "Job suspended")
            return
        }
        // Going from no condition to False says nothing, so only an existing condition flips.
        guard let current, current["status"] != "False" else { return }
        setCondition("Suspended", status: "False", reason: "JobResumed", message: "Job resumed")
        writes.event(job, "Normal", "Resumed", "Job resumed")
        job["status"]["startTime"] = WorkloadTime.json(now)
    }

    mutating func setCondition(_ type: String, status: String, reason: String, message: String) {
        if var list = conditions.arrayValue, let i = list.firstIndex(where: { $0["type"].stringValue == type }) {
            if list[i]["status"].stringValue != status { list[i]["lastTransitionTime"] = WorkloadTime.json(now) }
            list[i]["status"] = .string(status)
            list[i]["reason"] = .string(reason)
            list[i]["message"] = .string(message)
            list[i]["lastProbeTime"] = WorkloadTime.json(now)
            job["status"]["conditions"] = .array(list)
        } else {
            appendCondition(type, reason: reason, message: message, status: status)
        }
    }

    mutating func appendCondition(_ type: String, reason: String, message: String, status: String = "True") {
        var condition: JSON = [
            "type": .string(type), "status": .string(status), "lastProbeTime": WorkloadTime.json(now),
            "lastTransitionTime": WorkloadTime.json(now),
        ]
        if !reason.isEmpty { condition["reason"] = .string(reason) }
        if !message.isEmpty { condition["message"] = .string(message) }
        var list = conditions.arrayValue ?? []
        list.append(condition)
        job["status"]["conditions"] = .array(list)
        job["status"] = Self.ordered(job["status"])
    }

    /// The completion index of an Indexed Job's pod (annotation, else label).
    static func index(of pod: WorkloadPod) -> Int? {
        let text =
            pod.object.annotations[JobReconciler.completionIndexKey]
            ?? pod.object.labels[JobReconciler.completionIndexKey]
        return text.flatMap { Int($0) }
    }

    /// Parses `1,3-5,7`.
    static func parseIndexes(_ text: String) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
            return bounds.count == 1 ? [bounds[0]] : []
        }
    }

    /// Status members in the Go struct's order.
    static func ordered(_ status: JSON) -> JSON {
        guard let object = status.objectValue else { return status }
        let order = [
            "conditions", "startTime", "completionTime", "active", "succeeded", "failed", "terminating",
            "completedIndexes", "failedIndexes", "uncountedTerminatedPods", "ready",
        ]
        var result = JSONObject()
        for key in order { if let value = object[key] { _ = result.updateValue(value, forKey: key) } }
        for (key, value) in object where !order.contains(key) { _ = result.updateValue(value, forKey: key) }
        return .object(result)
    }
}
