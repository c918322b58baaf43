import Foundation
import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Records core/v1 Events about objects, as `kubectl describe` shows them, through upstream's spam filter.
///
/// Recording never waits for the write: events go to a bounded buffer (the newest 1 000 kept, as upstream's
/// broadcaster drops when full) that `run()` drains, a few writes at a time so they share the store's group
/// commits. The owner runs `run()` beside its workers; a scheduler binding thousands of pods a second then never
/// waits on its own events.
public struct EventRecorder: Sendable {
    let api: any ClusterAPI
    let component: String
    /// The node a kubelet's events come from (`source.host`, `reportingInstance`); nil for controllers.
    let host: String?
    let logger: Logger
    private let spam = SpamFilterBox()
    private let pending: AsyncStream<(namespace: String, event: JSON)>
    private let submit: AsyncStream<(namespace: String, event: JSON)>.Continuation

    private final class SpamFilterBox: Sendable {
        let filter = Mutex(EventSpamFilter())
    }

    /// Writes in flight at once while draining.
    static let concurrentWrites = 16

    public init(api: any ClusterAPI, component: String, host: String? = nil, logger: Logger) {
        self.api = api
        self.component = component
        self.host = host
        self.logger = logger
        (pending, submit) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    /// Writes the recorded events until cancelled.
    public func run() async {
        let events = api.type("", "v1", "events")
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await next in pending {
                if inFlight == Self.concurrentWrites {
                    await group.next()
                    inFlight -= 1
                }
                inFlight += 1
                group.addTask {
                    do {
                        _ = try await api.create(
                            events, namespace: next.namespace, object: next.event, fieldManager: component)
                    } catch {
                        logger.debug(
                            "event not recorded", metadata: ["reason": "\(next.event["reason"])", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Stops `run()` once the buffered events are written.
    public func finish() { submit.finish() }

    /// Best effort: a failed event never fails the caller, and the caller never waits for the write.
    public func record(_ object: JSON, type: String = "Normal", reason: String, message: String) async {
        let date = Date()
        let metadata = object["metadata"]
        let key = EventSpamFilter.key(
            component: component,
            object: [
                object.kind, metadata["namespace"].stringValue, metadata["name"].stringValue,
                metadata["uid"].stringValue,
                object.apiVersion,
            ], type: type, reason: reason)
        guard spam.filter.withLock({ $0.allow(key, now: date) }) else { return }
        let now = KubeTimestamp.string(date)
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var event: JSON = [
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
        if let host {
            event["source"]["host"] = .string(host)
            event["reportingInstance"] = .string(host)
        }
        submit.yield((namespace, event))
    }
}
