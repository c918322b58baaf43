import Foundation
import SkiffModel

/// The fields of a Pod the workload controllers read (upstream `podutil` helpers).
public struct WorkloadPod: Sendable {
    /// The Pod as stored.
    public var object: JSON

    /// A view of `object`.
    public init(_ object: JSON) {
        self.object = object
    }

    /// `metadata.name`, or empty.
    public var name: String { object.name ?? "" }

    /// `metadata.uid`, or empty.
    public var uid: String { object.uid ?? "" }

    /// `status.phase`, `Pending` when absent.
    public var phase: String { object["status"]["phase"].stringValue ?? "Pending" }

    /// `spec.nodeName`, or empty when unscheduled.
    public var nodeName: String { object["spec"]["nodeName"].stringValue ?? "" }

    /// Whether `metadata.deletionTimestamp` is set.
    public var isTerminating: Bool { !object["metadata"]["deletionTimestamp"].isNull }

    /// `metadata.creationTimestamp`.
    public var creationTime: Date? { WorkloadTime.parse(object["metadata"]["creationTimestamp"]) }

    /// Succeeded or Failed.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    /// Neither terminal nor being deleted (upstream `IsPodActive`).
    public var isActive: Bool { !isTerminal && !isTerminating }

    /// The `Ready` condition, if reported.
    public var readyCondition: JSON? {
        object["status"]["conditions"].arrayValue?.first { $0["type"].stringValue == "Ready" }
    }

    /// Whether the `Ready` condition is `True`.
    public var isReady: Bool { readyCondition?["status"].stringValue == "True" }

    /// When the pod last became ready (the Ready condition's transition time), if it is ready.
    public var readySince: Date? {
        guard isReady, let condition = readyCondition else { return nil }
        return WorkloadTime.parse(condition["lastTransitionTime"])
    }

    /// Ready for at least `minReadySeconds` at `now` (upstream `IsPodAvailable`: strictly after the deadline).
    public func isAvailable(minReadySeconds: Int, now: Date) -> Bool {
        guard isReady else { return false }
        if minReadySeconds <= 0 { return true }
        guard let since = readySince else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) < now
    }

    /// Seconds until a ready pod becomes available, nil when it is not ready or already available.
    public func secondsUntilAvailable(minReadySeconds: Int, now: Date) -> TimeInterval? {
        guard isReady, minReadySeconds > 0, let since = readySince else { return nil }
        let remaining = since.addingTimeInterval(TimeInterval(minReadySeconds)).timeIntervalSince(now)
        return remaining >= 0 ? remaining + 1 : nil
    }

    /// Whether the pod is `Running` and `Ready` (StatefulSet's health test).
    public var isRunningAndReady: Bool { phase == "Running" && isReady }

    /// The highest container restart count.
    public var maxRestartCount: Int {
        (object["status"]["containerStatuses"].arrayValue ?? []).compactMap { $0["restartCount"].intValue }.max() ?? 0
    }

    /// The sum of container (and init container) restart counts.
    public var totalRestartCount: Int {
        let statuses =
            (object["status"]["containerStatuses"].arrayValue ?? [])
            + (object["status"]["initContainerStatuses"].arrayValue ?? [])
        return statuses.compactMap { $0["restartCount"].intValue }.reduce(0, +)
    }

    /// `controller.kubernetes.io/pod-deletion-cost`, 0 when absent or not an integer.
    public var deletionCost: Int {
        object.annotations["controller.kubernetes.io/pod-deletion-cost"].flatMap { Int($0) } ?? 0
    }

    /// When the pod finished: the latest container `terminated.finishedAt`, else the last condition change, else
    /// its creation.
    public var finishTime: Date? {
        let statuses = object["status"]["containerStatuses"].arrayValue ?? []
        let finished = statuses.compactMap { WorkloadTime.parse($0["state"]["terminated"]["finishedAt"]) }
        if let latest = finished.max() { return latest }
        let conditions = object["status"]["conditions"].arrayValue ?? []
        if let latest = conditions.compactMap({ WorkloadTime.parse($0["lastTransitionTime"]) }).max() { return latest }
        return creationTime
    }
}
