import Foundation
import SkiffClient
import SkiffModel
import Synchronization

/// The in-memory `ClusterAPI` for tests of anything that talks to a cluster (controllers, the kubelet, informers):
/// objects by resource and `namespace/name`, stored as a server would (uid, namespace, resourceVersion), watches fed
/// from every write, a field selector on `spec.nodeName` honoured, and a way to wait until the objects satisfy a
/// condition. Wrap it in `InterceptingClusterAPI` to record, hold back or fail calls.
public final class FakeClusterAPI: ClusterAPI {
    public struct State: Sendable {
        public var objects: [String: [String: JSON]] = [:]
        public var version = 100
        public var deletes: [(resource: String, key: String, options: JSON)] = []
        public var statusWrites = 0
    }

    public let resources = ResourceRegistry()
    public let state = Mutex(State())
    private let watchers = Mutex<
        [(
            id: Int, resource: String, selector: String?,
            continuation: AsyncThrowingStream<ClusterEvent, any Error>.Continuation
        )]
    >([])
    public init() {}

    private let waiters = Mutex<
        [(id: Int, check: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)]
    >([])

    /// Watches open now (a test that writes after an informer listed waits for its watch first: writes before it
    /// are not replayed).
    public var openWatches: Int { watchers.withLock { $0.count } }

    public func objects(_ resource: String) -> [JSON] { state.withLock { Array(($0.objects[resource] ?? [:]).values) } }
    public func object(_ resource: String, _ key: String) -> JSON? { state.withLock { $0.objects[resource]?[key] } }

    /// Puts an object as the server would store it (uid, resourceVersion), announcing it to watches.
    @discardableResult
    public func put(_ resource: String, _ object: JSON) -> JSON {
        var object = object
        let (stored, kind) = state.withLock { state -> (JSON, ClusterEvent.Kind) in
            state.version += 1
            if object.uid == nil { object["metadata"]["uid"] = .string("uid-\(object.name ?? "")") }
            if object.namespace == nil,
                resources.lookup(group: "", version: "v1", resource: resource)?.namespaced ?? true
            {
                object["metadata"]["namespace"] = "default"
            }
            object["metadata"]["resourceVersion"] = .string("\(state.version)")
            let key = Informer.key(object)
            let kind: ClusterEvent.Kind = state.objects[resource]?[key] == nil ? .added : .modified
            state.objects[resource, default: [:]][key] = object
            return (object, kind)
        }
        announce(resource, ClusterEvent(kind: kind, object: stored))
        return stored
    }

    public func remove(_ resource: String, _ key: String) {
        let removed = state.withLock { state -> JSON? in
            state.version += 1
            return state.objects[resource]?.removeValue(forKey: key)
        }
        if let removed { announce(resource, ClusterEvent(kind: .deleted, object: removed)) }
    }

    private func announce(_ resource: String, _ event: ClusterEvent) {
        for watcher in watchers.withLock({ $0 }) where watcher.resource == resource {
            if let selector = watcher.selector, !Self.matches(selector, event.object) { continue }
            watcher.continuation.yield(event)
        }
        let snapshot = state.withLock { $0 }
        let ready = waiters.withLock { list -> [CheckedContinuation<Void, Never>] in
            let ready = list.filter { $0.check(snapshot) }.map(\.continuation)
            list.removeAll { $0.check(snapshot) }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    public static func matches(_ selector: String, _ object: JSON) -> Bool {
        for requirement in selector.split(separator: ",") {
            let parts = requirement.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let value = parts[0] == "spec.nodeName" ? object["spec"]["nodeName"].stringValue : nil
            if value != parts[1] { return false }
        }
        return true
    }

    /// Returns once `condition` holds (checked after every write), or when the task is cancelled.
    public func wait(until condition: @escaping @Sendable (State) -> Bool) async {
        let id = Int.random(in: 0..<Int.max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { condition($0) }
                if ready || Task.isCancelled {
                    continuation.resume()
                    return
                }
                waiters.withLock { $0.append((id, condition, continuation)) }
                let now = state.withLock { condition($0) }
                if now {
                    let mine = waiters.withLock { list -> CheckedContinuation<Void, Never>? in
                        guard let index = list.firstIndex(where: { $0.id == id }) else { return nil }
                        return list.remove(at: index).continuation
                    }
                    mine?.resume()
                }
            }
        } onCancel: {
            let mine = waiters.withLock { list -> CheckedContinuation<Void, Never>? in
                guard let index = list.firstIndex(where: { $0.id == id }) else { return nil }
                return list.remove(at: index).continuation
            }
            mine?.resume()
        }
    }

    // MARK: ClusterAPI

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        guard let object = object(type.resource, namespace.map { "\($0)/\(name)" } ?? name) else {
            throw APIError.notFound(type, name)
        }
        return object
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError)
        -> ObjectList
    {
        let (items, version) = state.withLock { state in
            (Array((state.objects[type.resource] ?? [:]).values), "\(state.version)")
        }
        return ObjectList(
            items: items.filter { item in options.fieldSelector.map { Self.matches($0, item) } ?? true },
            resourceVersion: version)
    }

    public func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError)
        -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<ClusterEvent, any Error>.makeStream()
        let id = Int.random(in: 0..<Int.max)
        watchers.withLock { $0.append((id, type.resource, options.fieldSelector, continuation)) }
        continuation.onTermination = { [weak self] _ in self?.watchers.withLock { $0.removeAll { $0.id == id } } }
        return stream
    }

    public func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String)
        async throws(APIError)
        -> JSON
    {
        var object = object
        if object.name == nil, let prefix = object["metadata"]["generateName"].stringValue {
            object["metadata"]["name"] = .string(prefix + String(Int.random(in: 0..<1_000_000_000), radix: 36))
        }
        if type.namespaced { object["metadata"]["namespace"] = .string(namespace ?? "default") }
        object["metadata"]["uid"] = .string(UUID().uuidString.lowercased())
        return put(type.resource, object)
    }

    public func update(
        _ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String
    )
        async throws(APIError) -> JSON
    {
        put(type.resource, object)
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        let key = namespace.map { "\($0)/\(name)" } ?? name
        guard let current = object(type.resource, key) else { throw APIError.notFound(type, name) }
        if subresource == "status" { state.withLock { $0.statusWrites += 1 } }
        return put(type.resource, JSONMergePatch.merge(patch, into: current))
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        let key = namespace.map { "\($0)/\(name)" } ?? name
        guard let current = object(type.resource, key) else { throw APIError.notFound(type, name) }
        if let uid = options["preconditions"]["uid"].stringValue, uid != current.uid {
            throw APIError.conflict(type, name, "uid precondition failed")
        }
        state.withLock { $0.deletes.append((type.resource, key, options)) }
        remove(type.resource, key)
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {}
}
