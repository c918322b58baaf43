import Foundation
import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Records core/v1 Events about objects, as `kubectl describe` shows them, through upstream's spam filter.
public struct EventRecorder: Sendable {
    let api: any ClusterAPI
    let component: String
    let logger: Logger
    private let spam = SpamFilterBox()

    private final class SpamFilterBox: Sendable {
        let filter = Mutex(EventSpamFilter())
    }

    public init(api: any ClusterAPI, component: String, logger: Logger) {
        self.api = api
        self.component = component
        self.logger = logger
    }

    /// Best effort: a failed event never fails the caller.
    public func record(_ object: JSON, type: String = "Normal", reason: String, message: String) async {
        let date = Date()
        let metadata = object["metadata"]
        let key = EventSpamFilter.key(
            component: component,
            object: [
                object.kind, metadata["namespace"].stringValue, metadata["name"].stringValue, metadata["uid"].stringValue,
                object.apiVersion,
            ], type: type, reason: reason)
        guard spam.filter.withLock({ $0.allow(key, now: date) }) else { return }
        let now = KubeTimestamp.string(date)
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let event: JSON = [
            "metadata": ["generateName": .string("\(object.name ?? "object").")],
            "involvedObject": [
                "kind": object["kind"], "apiVersion": object["apiVersion"], "name": object["metadata"]["name"],
                "namespace": object["metadata"]["namespace"], "uid": object["metadata"]["uid"],
                "resourceVersion": object["metadata"]["resourceVersion"],
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
        do {
            _ = try await api.create(api.type("", "v1", "events"), namespace: namespace, object: event, fieldManager: component)
        } catch {
            logger.debug("event not recorded", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }
}
