import Foundation
import SkiffModel

/// A resource the workload controllers read or write, named the way the API serves it.
public enum WorkloadResource: String, Sendable, Hashable, CaseIterable {
    case pods
    case persistentVolumeClaims = "persistentvolumeclaims"
    case replicaSets = "replicasets"
    case deployments
    case daemonSets = "daemonsets"
    case statefulSets = "statefulsets"
    case controllerRevisions = "controllerrevisions"
    case jobs
    case cronJobs = "cronjobs"

    /// The API group (`""` for core).
    public var group: String {
        switch self {
        case .pods, .persistentVolumeClaims: return ""
        case .replicaSets, .deployments, .daemonSets, .statefulSets, .controllerRevisions: return "apps"
        case .jobs, .cronJobs: return "batch"
        }
    }

    /// The API version within the group.
    public var version: String { "v1" }

    /// The plural resource name, e.g. `replicasets`.
    public var resource: String { rawValue }

    /// `apiVersion` as objects carry it (`v1`, `apps/v1`, `batch/v1`).
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The kind of the objects, e.g. `ReplicaSet`.
    public var kind: String {
        switch self {
        case .pods: return "Pod"
        case .persistentVolumeClaims: return "PersistentVolumeClaim"
        case .replicaSets: return "ReplicaSet"
        case .deployments: return "Deployment"
        case .daemonSets: return "DaemonSet"
        case .statefulSets: return "StatefulSet"
        case .controllerRevisions: return "ControllerRevision"
        case .jobs: return "Job"
        case .cronJobs: return "CronJob"
        }
    }
}

/// An Event a controller wants recorded about one of its objects (upstream `eventRecorder.Eventf`).
public struct WorkloadEvent: Sendable, Hashable {
    /// The object the event is about, as the reconcile saw it (its kind, apiVersion and metadata name the
    /// `involvedObject`).
    public var object: JSON
    /// `Normal` or `Warning`.
    public var type: String
    /// Upstream's CamelCase reason, e.g. `SuccessfulCreate`.
    public var reason: String
    /// The human message, worded as upstream's.
    public var message: String

    /// An event about `object`.
    public init(about object: JSON, type: String = "Normal", reason: String, message: String) {
        self.object = object
        self.type = type
        self.reason = reason
        self.message = message
    }

    /// The `involvedObject` reference of the event.
    public var involvedObject: JSON { WorkloadReference.of(object) }
}

/// One change a reconcile asks the runtime to make.
///
/// Contract with the runtime that carries actions out:
/// - apply them in order, and stop at the first failure (then requeue, rate limited): later actions may depend on
///   earlier ones, e.g. a Job's status records a finished pod before that pod's tracking finalizer is removed;
/// - runs of `create` for the same resource may be sent in parallel, ideally in slow-start batches (1, 2, 4, …),
///   stopping at the first failed batch, as upstream's `slowStartBatch`;
/// - `update` and `updateStatus` carry the `resourceVersion` the reconcile saw, so a stale view fails with
///   Conflict instead of overwriting; each object is written at most once per reconcile;
/// - before reconciling the same object again, wait until the informers have observed the effects of the previous
///   actions (upstream "expectations"): reconciles are level-based on what they are shown, so a stale cache that
///   lacks just-created pods would create them twice.
public enum WorkloadAction: Sendable, Hashable {
    /// POST a new object (pods may use `metadata.generateName`).
    case create(resource: WorkloadResource, namespace: String, object: JSON)
    /// PUT the whole object (spec and metadata).
    case update(resource: WorkloadResource, object: JSON)
    /// PUT the object's `status` subresource; `metadata.labels` and `metadata.annotations` travel with it, as the
    /// Deployment controller relies on to record its revision without bumping the generation.
    case updateStatus(resource: WorkloadResource, object: JSON)
    /// DELETE one object; `preconditionUID` guards against deleting a newer object of the same name, and
    /// `propagationPolicy` (`Background`, `Foreground`, `Orphan`) is sent in the DeleteOptions when set.
    case delete(
        resource: WorkloadResource, namespace: String, name: String, preconditionUID: String?,
        propagationPolicy: String? = nil)
    /// Record an Event.
    case event(WorkloadEvent)
}

/// What one reconcile decided.
public struct WorkloadReconcileResult: Sendable {
    /// The changes to make, in order.
    public var actions: [WorkloadAction]
    /// Reconcile this object again after this many seconds even if nothing changes (a pod becoming available
    /// after `minReadySeconds`, a progress deadline, a TTL, the next cron time); nil when only changes matter.
    public var requeueAfter: TimeInterval?

    /// A result with the given actions and requeue hint.
    public init(actions: [WorkloadAction] = [], requeueAfter: TimeInterval? = nil) {
        self.actions = actions
        self.requeueAfter = requeueAfter
    }

    /// Keeps the earlier of the current and the given requeue time.
    public mutating func requeue(after seconds: TimeInterval) {
        let seconds = max(0, seconds)
        requeueAfter = requeueAfter.map { min($0, seconds) } ?? seconds
    }

    /// The objects created for `resource`, in order.
    public func created(_ resource: WorkloadResource) -> [JSON] {
        actions.compactMap {
            if case .create(resource, _, let object) = $0 { return object }
            return nil
        }
    }

    /// The objects updated (PUT, not status) for `resource`, in order.
    public func updated(_ resource: WorkloadResource) -> [JSON] {
        actions.compactMap {
            if case .update(resource, let object) = $0 { return object }
            return nil
        }
    }

    /// The status writes for `resource`, in order.
    public func statusUpdates(_ resource: WorkloadResource) -> [JSON] {
        actions.compactMap {
            if case .updateStatus(resource, let object) = $0 { return object }
            return nil
        }
    }

    /// The names deleted for `resource`, in order.
    public func deleted(_ resource: WorkloadResource) -> [String] {
        actions.compactMap {
            if case .delete(resource, _, let name, _, _) = $0 { return name }
            return nil
        }
    }

    /// The events, in order.
    public var events: [WorkloadEvent] {
        actions.compactMap {
            if case .event(let event) = $0 { return event }
            return nil
        }
    }
}
