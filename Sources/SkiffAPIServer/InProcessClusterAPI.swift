import Foundation
import SkiffClient
import SkiffModel
import SkiffStore

/// `ClusterAPI` straight on the registry: controllers in the server process get the same admission, patch and watch
/// semantics as HTTP clients, minus sockets and JSON round trips through the network.
public struct InProcessClusterAPI: ClusterAPI {
    let registry: ObjectRegistry

    public init(registry: ObjectRegistry) {
        self.registry = registry
    }

    public var resources: ResourceRegistry { registry.resources }

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await registry.getObject(type, namespace: namespace, name: name)
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError) -> ObjectList {
        let filter = try ObjectFilter(query: Self.query(options), resource: type.resource)
        let page = try await registry.list(type, namespace: namespace, limit: options.limit, filter: filter.storeFilter)
        var items: [JSON] = []
        items.reserveCapacity(page.items.count)
        let decode = options.withoutManagedFields ? registry.decodeTrimmed : registry.decode
        for item in page.items { items.append(try decode(item)) }
        return ObjectList(items: items, resourceVersion: String(page.revision))
    }

    public func watch(
        _ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions
    ) async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error> {
        let filter = try ObjectFilter(query: Self.query(options), resource: type.resource)
        guard let revision = Revision(resourceVersion) else {
            throw APIError.badRequest("invalid resourceVersion \"\(resourceVersion)\"")
        }
        let stream = try await registry.watch(type, namespace: namespace, after: revision)
        let decode = options.withoutManagedFields ? registry.decodeTrimmed : registry.decode
        let (events, continuation) = AsyncThrowingStream<ClusterEvent, any Error>.makeStream()
        // The pump lives exactly as long as the consumer: it ends when the consumer stops iterating.
        let pump = Task {
            do {
                for try await event in stream {
                    guard let (kind, kv) = try ResourceHandler.translate(event, filter: filter, decode: registry.decode),
                        let eventKind = ClusterEvent.Kind(rawValue: kind)
                    else { continue }
                    continuation.yield(ClusterEvent(kind: eventKind, object: try decode(kv)))
                }
                continuation.finish()
            } catch let error as StoreError {
                continuation.finish(throwing: error.code == .expired ? APIError.expired(error.message) : APIError.internal(error.description))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return events
    }

    public func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String) async throws(APIError) -> JSON {
        try registry.decode(
            try await registry.create(type, namespace: namespace, object: object, options: WriteOptions(fieldManager: fieldManager)))
    }

    public func update(
        _ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String
    ) async throws(APIError) -> JSON {
        guard let name = object.name else { throw APIError.badRequest("the object has no name") }
        let (kv, _) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource, options: WriteOptions(fieldManager: fieldManager)
        ) { _ throws(APIError) in object }
        return try registry.decode(kv)
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        let mediaType: RequestBody.MediaType =
            switch patchType {
            case .merge: .mergePatch
            case .json: .jsonPatch
            case .strategic: .strategicMergePatch
            case .apply: .applyPatch
            }
        let patcher = Patcher(
            type: type, mediaType: mediaType, patch: patch, fieldManager: fieldManager, force: false,
            subresource: subresource, now: registry.now())
        var options = WriteOptions(fieldManager: fieldManager)
        options.isApply = patchType == .apply
        let (kv, _) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource, options: options,
            createIfMissing: patchType == .apply
        ) { live throws(APIError) in try patcher.apply(to: live) }
        return try registry.decode(kv)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        _ = try await registry.delete(type, namespace: namespace, name: name, options: try DeleteOptions(json: options))
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON) async throws(APIError) {
        switch subresource {
        case "binding":
            try await registry.bind(type, namespace: namespace, name: name, binding: body)
        case "eviction":
            var options = DeleteOptions()
            if case .object = body["deleteOptions"] { options = try DeleteOptions(json: body["deleteOptions"]) }
            _ = try await registry.delete(type, namespace: namespace, name: name, options: options)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    static func query(_ options: ListOptions) -> QueryParameters {
        var parts: [String] = []
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        if let labels = options.labelSelector { parts.append("labelSelector=\(encode(labels))") }
        if let fields = options.fieldSelector { parts.append("fieldSelector=\(encode(fields))") }
        return QueryParameters(parts.joined(separator: "&"))
    }
}
