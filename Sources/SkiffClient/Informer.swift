import Logging
import SkiffModel
import Synchronization

/// A list+watch cache of one resource type: `run()` keeps `objects` current (re-watching from the last version when a
/// watch times out, relisting after a 410 or a broken watch) and reports every change to `onChange`, so controllers
/// read from memory and react to events.
///
/// Besides the objects by key, the cache keeps them by namespace and by controlling owner (the `ownerReferences`
/// entry with `controller: true`), so a controller reads its own dependents without scanning every object of the
/// type: with thousands of pods, a full scan per reconcile is what costs the most.
public final class Informer: Sendable {
    public typealias Handler = @Sendable (ClusterEvent) async -> Void

    let api: any ClusterAPI
    public let type: ResourceType
    let namespace: String?
    let options: ListOptions
    let logger: Logger
    let clock: ServiceClock
    private let state = Mutex<Index>(Index())
    private let synced = Latch()
    /// What the cache keeps of each object (client-go's transform); nil: the object without its managed fields.
    let transform: (@Sendable (JSON) -> JSON)?

    public init(
        api: any ClusterAPI, type: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions(),
        clock: ServiceClock = .continuous, transform: (@Sendable (JSON) -> JSON)? = nil, logger: Logger
    ) {
        self.transform = transform
        self.api = api
        self.clock = clock
        self.type = type
        self.namespace = namespace
        var options = options
        options.withoutManagedFields = true
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
    public var hasSynced: Bool { synced.isOpen }

    /// Returns once the cache holds its first list (at once if it does), or when the task is cancelled.
    public func waitUntilSynced() async { await synced.wait() }

    /// The objects in `namespace` ("" for cluster-scoped ones).
    public func objects(inNamespace namespace: String) -> [JSON] {
        state.withLock { $0.byNamespace[namespace].map { Array($0.values) } ?? [] }
    }

    /// The objects whose controller reference names `uid`.
    public func objects(controlledBy uid: String) -> [JSON] {
        state.withLock { $0.byController[uid].map { Array($0.values) } ?? [] }
    }

    /// The objects in `namespace` without a controller reference (candidates for adoption).
    public func orphans(inNamespace namespace: String) -> [JSON] {
        state.withLock { $0.orphans[namespace].map { Array($0.values) } ?? [] }
    }

    /// The object as cached: without `metadata.managedFields`, which no controller reads and which is often the
    /// largest part of an object (upstream's controllers strip it the same way). Only the top-level and metadata
    /// nodes are copied; everything else stays shared with the registry's parsed copy.
    /// The object as the cache keeps it.
    func kept(_ object: JSON) -> JSON {
        let trimmed = Self.trimmed(object)
        return transform?(trimmed) ?? trimmed
    }

    static func trimmed(_ object: JSON) -> JSON {
        guard object["metadata"].contains(key: "managedFields") else { return object }
        var object = object
        object["metadata"].removeValue(forKey: "managedFields")
        return object
    }

    /// Lists, then watches until cancelled; every list reports its objects as `added` (upserts) and removes the ones
    /// that vanished meanwhile as `deleted`.
    ///
    /// Like client-go's reflector, a watch that ends normally (the server's `timeoutSeconds`) is resumed from the last
    /// resourceVersion seen, keeping the cache as it is; only a failure or a 410 (that version is gone) leads to a
    /// relist. A watch that ends at once without any event counts as a failure, so a server that keeps closing
    /// watches is not hammered.
    public func run(onChange: Handler) async {
        // A relist after a 410 is routine; other failures mean the server is away or broken, so say so and back off
        // (a remote agent must not hammer a restarting server).
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        var failures = 0
        // The version to resume watching from; nil: the cache must be (re)built from a list first.
        var resumeFrom: String?
        while !Task.isCancelled {
            do {
                let version: String
                if let resumeFrom {
                    version = resumeFrom
                } else {
                    version = try await relist(onChange: onChange)
                    failures = 0
                }
                resumeFrom = version
                let outcome = try await watch(from: version, seen: { resumeFrom = $0 }, onChange: onChange)
                if outcome.events > 0 || outcome.duration >= Self.minimumWatchDuration {
                    failures = 0
                    logger.trace(
                        "informer watch ended, resuming",
                        metadata: ["resource": "\(type.resource)", "from": "\(resumeFrom ?? "")"])
                    continue
                }
                throw APIError(
                    code: 500, reason: "InternalError",
                    message: "very short watch: the server ended it after \(outcome.duration) without any event")
            } catch {
                if Task.isCancelled { return }
                resumeFrom = nil
                failures += 1
                let delay = backoff.delay(attempt: failures)
                logger.log(
                    level: (error as? APIError)?.code == 410 ? .debug : .warning, "informer relisting",
                    metadata: [
                        "resource": "\(type.resource)", "attempt": "\(failures)", "retry.in": "\(delay)",
                        "error": "\(error)",
                    ])
                try? await clock.sleep(for: delay)
            }
        }
    }

    /// A watch shorter than this that brought no event is treated as a failure (client-go's "very short watch").
    static let minimumWatchDuration = Duration.seconds(1)

    /// Replaces the cache with a fresh list and reports the differences; returns the list's resourceVersion.
    private func relist(onChange: Handler) async throws(APIError) -> String {
        let list = try await api.list(type, namespace: namespace, options: options)
        var fresh = Index()
        let items = list.items.map(kept)
        for object in items { fresh.upsert(Self.key(object), object) }
        let vanished = state.withLock { state -> [JSON] in
            let gone = state.objects.filter { fresh.objects[$0.key] == nil }.map(\.value)
            state = fresh
            return gone
        }
        // Open before the list's events go out: a handler may read any object of the list from the cache.
        synced.open()
        for object in vanished { await onChange(ClusterEvent(kind: .deleted, object: object)) }
        for object in items { await onChange(ClusterEvent(kind: .added, object: object)) }
        return list.resourceVersion
    }

    /// Applies one watch's events to the cache until the stream ends; `seen` gets every event's resourceVersion.
    private func watch(
        from version: String, seen: (String) -> Void, onChange: Handler
    ) async throws -> (events: Int, duration: Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        let stream = try await api.watch(type, namespace: namespace, resourceVersion: version, options: options)
        var events = 0
        for try await received in stream {
            let event = ClusterEvent(kind: received.kind, object: kept(received.object))
            events += 1
            let key = Self.key(event.object)
            state.withLock { state in
                if event.kind == .deleted { state.remove(key) } else { state.upsert(key, event.object) }
            }
            if let version = event.object.resourceVersion, !version.isEmpty { seen(version) }
            await onChange(event)
        }
        return (events, clock.now - started)
    }
}

/// The cached objects by key with their secondary indexes, kept in step on every change.
private struct Index {
    /// Where an object is filed, so a change or delete finds its old entries without the old object.
    struct Placement {
        var namespace: String
        var controller: String?
    }

    var objects: [String: JSON] = [:]
    var byNamespace: [String: [String: JSON]] = [:]
    var byController: [String: [String: JSON]] = [:]
    var orphans: [String: [String: JSON]] = [:]
    var placements: [String: Placement] = [:]

    mutating func upsert(_ key: String, _ object: JSON) {
        let placement = Placement(namespace: object.namespace ?? "", controller: Self.controllerUID(object))
        if let old = placements[key], old.namespace != placement.namespace || old.controller != placement.controller {
            remove(key)
        }
        objects[key] = object
        placements[key] = placement
        byNamespace[placement.namespace, default: [:]][key] = object
        if let controller = placement.controller {
            byController[controller, default: [:]][key] = object
        } else {
            orphans[placement.namespace, default: [:]][key] = object
        }
    }

    mutating func remove(_ key: String) {
        objects[key] = nil
        guard let placement = placements.removeValue(forKey: key) else { return }
        Self.drop(key, from: &byNamespace, bucket: placement.namespace)
        if let controller = placement.controller {
            Self.drop(key, from: &byController, bucket: controller)
        } else {
            Self.drop(key, from: &orphans, bucket: placement.namespace)
        }
    }

    private static func drop(_ key: String, from index: inout [String: [String: JSON]], bucket: String) {
        index[bucket]?[key] = nil
        if index[bucket]?.isEmpty == true { index[bucket] = nil }
    }

    /// The uid in the `controller: true` owner reference.
    static func controllerUID(_ object: JSON) -> String? { object.controllerReference?["uid"].stringValue }
}
