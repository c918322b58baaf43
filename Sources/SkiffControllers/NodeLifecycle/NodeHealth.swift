import Foundation
import SkiffModel

/// Pure node-lifecycle decisions (upstream `nodelifecycle` controller, plus edge autonomy): a node whose Lease is
/// older than the grace period becomes `Ready=Unknown` and gets the `unreachable` taints; its pods are evicted once
/// their toleration of that taint runs out — unless the node is autonomous: it gets the NoSchedule taint only, and
/// its pods stay bound.
public enum NodeHealth {
    public static let unreachableTaint = "node.kubernetes.io/unreachable"
    public static let autonomyAnnotations = ["node.skiff.io/autonomy", "node.beta.openyurt.io/autonomy"]
    /// Upstream's DefaultTolerationSeconds for not-ready/unreachable.
    public static let defaultTolerationSeconds: Double = 300

    /// What to do about one node.
    public enum Action: Equatable, Sendable {
        /// Set Ready (and the other kubelet-owned conditions) to Unknown and add the unreachable taints: NoSchedule
        /// always (no new pod goes to a node nobody hears from), NoExecute only when `evicting` (not on an autonomous
        /// node, whose pods stay bound).
        case markUnreachable(node: String, evicting: Bool)
        /// The node is back: its Lease is fresh again; remove the unreachable taints (kubelet sets Ready itself).
        case clearUnreachableTaints(node: String)
        /// Evict a pod from an unreachable node.
        case evict(namespace: String, name: String, uid: String?)
        /// Note on the node when it was last heard from (`node.skiff.io/last-heard`, shown by `kubectl get nodes`).
        case recordLastHeard(node: String, at: Date)
        /// The node is heard from again: the note goes.
        case forgetLastHeard(node: String)
    }

    /// When an unreachable node was last heard from (its Lease's last renewal).
    public static let lastHeardAnnotation = "node.skiff.io/last-heard"

    public static func isAutonomous(_ node: JSON) -> Bool {
        autonomyAnnotations.contains { node.annotations[$0] == "true" }
    }

    /// When the node last proved it was alive: its Lease renewal, else its Ready heartbeat.
    public static func lastHeartbeat(node: JSON, lease: JSON?) -> Date? {
        if let renew = lease?["spec"]["renewTime"].stringValue, let date = parse(renew) { return date }
        let ready = node["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }
        return ready?["lastHeartbeatTime"].stringValue.flatMap(parse)
    }

    /// Decisions for one node and the pods bound to it.
    public static func evaluate(
        node: JSON, lease: JSON?, pods: [JSON], now: Date, gracePeriod: TimeInterval
    ) -> [Action] {
        guard let name = node.name else { return [] }
        let stale = lastHeartbeat(node: node, lease: lease).map { now.timeIntervalSince($0) > gracePeriod } ?? false
        let readyStatus = node["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }?["status"]
            .stringValue
        let tainted = (node["spec"]["taints"].arrayValue ?? []).contains { $0["key"] == .string(unreachableTaint) }
        let autonomous = isAutonomous(node)
        let heard = lastHeartbeat(node: node, lease: lease)
        let noted = node.annotations[lastHeardAnnotation]
        guard stale else {
            var actions: [Action] = tainted ? [.clearUnreachableTaints(node: name)] : []
            if noted != nil { actions.append(.forgetLastHeard(node: name)) }
            return actions
        }
        var actions: [Action] = []
        if readyStatus != "Unknown" || !tainted {
            actions.append(.markUnreachable(node: name, evicting: !autonomous))
        }
        if let heard, noted != KubeTimestamp.string(heard) {
            actions.append(.recordLastHeard(node: name, at: heard))
        }
        guard !autonomous, let since = unreachableSince(node) ?? (readyStatus == "Unknown" ? nil : now) else {
            return actions
        }
        for pod in pods where pod.deletionTimestamp == nil {
            // nil: the pod tolerates the taint forever.
            guard let tolerated = tolerationSeconds(pod), now.timeIntervalSince(since) >= tolerated else { continue }
            actions.append(.evict(namespace: pod.namespace ?? "", name: pod.name ?? "", uid: pod.uid))
        }
        return actions
    }

    /// When the node's Ready condition turned Unknown (the start of the toleration clock).
    static func unreachableSince(_ node: JSON) -> Date? {
        let ready = node["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }
        guard ready?["status"] == "Unknown" else { return nil }
        return ready?["lastTransitionTime"].stringValue.flatMap(parse)
    }

    /// Seconds the pod tolerates the unreachable NoExecute taint; the upstream default (300) when it does not
    /// mention it; nil when it tolerates it forever.
    static func tolerationSeconds(_ pod: JSON) -> Double? {
        for toleration in pod["spec"]["tolerations"].arrayValue ?? [] where matchesUnreachable(toleration) {
            return toleration["tolerationSeconds"].doubleValue
        }
        return defaultTolerationSeconds
    }

    static func matchesUnreachable(_ toleration: JSON) -> Bool {
        let effect = toleration["effect"].stringValue ?? ""
        guard effect.isEmpty || effect == "NoExecute" else { return false }
        if toleration["operator"] == "Exists", toleration["key"].stringValue?.isEmpty ?? true { return true }
        return toleration["key"] == .string(unreachableTaint)
    }

    static func parse(_ text: String) -> Date? { KubeTimestamp.date(text) }
}
