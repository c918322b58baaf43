import Logging
import SkiffModel
import Synchronization

/// A list+watch cache of one resource type: `run()` keeps `objects` current (relisting after a 410 or a broken
/// watch) and reports every change to `onChange`, so controllers read from memory and react to events.
public final class Informer: Sendable {
    public typealias Handler = @Sendable (ClusterEvent) async -> Void

    let api: any ClusterAPI
    public let type: ResourceType
    let namespace: String?
    let options: ListOptions
    let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [String: JSON] = [:]
        var synced = false
    }

    public init(api: any ClusterAPI, type: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions(), logger: Logger) {
        self.api = api
        self.type = type
        self.namespace = namespace
        self.options = options
        self.logger = logger
    }

    /// `namespace/name` (or `name` for cluster-scoped objects).
    public static func key(_ object: JSON) -> String {
        if let namespace = object.namespace, !namespace.isEmpty { return "\(namespace)/\(object.name ?? "")" }
        return object.name ?? ""
    }

    public func get(_ key: String) -> JSON? { state.withLock { $0.objects[key] } }
    public var objects: [JSON] { state.withLock { Array($0.objects.values) } }
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Lists, then watches until cancelled; every list reports its objects as `added` (upserts) and removes the ones
    /// that vanished meanwhile as `deleted`.
    public func run(onChange: Handler) async {
        // A relist after a 410 is routine; other failures mean the server is away or broken, so say so and back off
        // (a remote agent must not hammer a restarting server).
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await api.list(type, namespace: namespace, options: options)
                failures = 0
                var fresh: [String: JSON] = [:]
                for object in list.items { fresh[Self.key(object)] = object }
                let vanished = state.withLock { state -> [JSON] in
                    let gone = state.objects.filter { fresh[$0.key] == nil }.map(\.value)
                    state.objects = fresh
                    state.synced = true
                    return gone
                }
                for object in vanished { await onChange(ClusterEvent(kind: .deleted, object: object)) }
                for object in list.items { await onChange(ClusterEvent(kind: .added, object: object)) }
                let stream = try await api.watch(type, namespace: namespace, resourceVersion: list.resourceVersion, options: options)
                for try await event in stream {
                    let key = Self.key(event.object)
                    state.withLock { state in
                        if event.kind == .deleted { state.objects[key] = nil } else { state.objects[key] = event.object }
                    }
                    await onChange(event)
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = backoff.delay(attempt: failures)
                logger.log(
                    level: (error as? APIError)?.code == 410 ? .debug : .warning, "informer relisting",
                    metadata: [
                        "resource": "\(type.resource)", "attempt": "\(failures)", "retry.in": "\(delay)", "error": "\(error)",
                    ])
                try? await Task.sleep(for: delay)
            }
        }
    }
}
