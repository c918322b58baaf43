import Foundation
import SkiffClient
import SkiffModel

/// The Events a node's link leaves on its Node, for `kubectl describe node`: posted when the server is back (nothing
/// can be posted while it is away), the loss dated when it happened. Kubelet's convention for node events:
/// `involvedObject.uid` is the node's name, namespace `default`.
enum NodeLinkEvents {
    static func events(for action: ServerLink.Action, node: String) -> [JSON] {
        guard case .cameBack(let since, let lastHeard, let at) = action else { return [] }
        let heard = lastHeard.map { "last heard \(KubeTimestamp.string($0))" } ?? "not heard since the agent started"
        let offline = ServerLinkMonitor.describe(at.timeIntervalSince(since))
        return [
            event(
                node: node, type: "Warning", reason: "ServerUnreachable", at: since,
                message: "Node \(node) lost the server (\(heard)) and ran its pods from its local cache"),
            event(
                node: node, type: "Normal", reason: "ServerReachable", at: at,
                message: "Node \(node) reached the server again after \(offline) offline; reconciling its pods"),
        ]
    }

    static func event(node: String, type: String, reason: String, at date: Date, message: String) -> JSON {
        let time = KubeTimestamp.string(date)
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string("\(node)."), "namespace": "default"],
            "involvedObject": ["kind": "Node", "apiVersion": "v1", "name": .string(node), "uid": .string(node)],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": "kubelet", "host": .string(node)], "reportingComponent": "kubelet",
            "reportingInstance": .string(node), "firstTimestamp": .string(time), "lastTimestamp": .string(time),
            "count": 1,
        ]
    }

    /// Best effort: an event that cannot be written is not retried.
    static func post(_ action: ServerLink.Action, node: String, api: any ClusterAPI) async {
        for event in events(for: action, node: node) {
            _ = try? await api.create(
                api.type("", "v1", "events"), namespace: "default", object: event, fieldManager: "kubelet")
        }
    }
}
