import SkiffClient
import SkiffModel

/// A `ClusterAPI` that forwards every call to `base` after telling `before` which call it is: a test records the
/// calls an informer makes, holds one back until it is ready, or fails it (throwing from `before`: an unreachable
/// server, a conflict) without a second fake.
public struct InterceptingClusterAPI: ClusterAPI {
    /// One call as `before` sees it.
    public struct Call: Sendable, CustomStringConvertible {
        public enum Verb: String, Sendable {
            case get, list, watch, create, update, patch, delete, post
        }

        public var verb: Verb
        public var type: ResourceType
        public var namespace: String?
        /// The object's name (get, patch, delete, post) or the created/updated object's.
        public var name: String?
        /// The resourceVersion a watch starts from.
        public var resourceVersion: String?
        public var subresource: String?

        /// `list pods`, `watch pods 42`, `patch pods/status default/web`.
        public var description: String {
            var text = "\(verb.rawValue) \(type.resource)\(subresource.map { "/\($0)" } ?? "")"
            if let name { text += " \(namespace.map { "\($0)/" } ?? "")\(name)" }
            if let resourceVersion { text += " \(resourceVersion)" }
            return text
        }
    }

    public let base: any ClusterAPI
    let before: @Sendable (Call) async throws(APIError) -> Void

    public init(base: any ClusterAPI, before: @escaping @Sendable (Call) async throws(APIError) -> Void) {
        self.base = base
        self.before = before
    }

    public var resources: ResourceRegistry { base.resources }

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await before(Call(verb: .get, type: type, namespace: namespace, name: name))
        return try await base.get(type, namespace: namespace, name: name)
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError)
        -> ObjectList
    {
        try await before(Call(verb: .list, type: type, namespace: namespace))
        return try await base.list(type, namespace: namespace, options: options)
    }

    public func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        try await before(Call(verb: .watch, type: type, namespace: namespace, resourceVersion: resourceVersion))
        return try await base.watch(type, namespace: namespace, resourceVersion: resourceVersion, options: options)
    }

    public func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String)
        async throws(APIError) -> JSON
    {
        try await before(Call(verb: .create, type: type, namespace: namespace, name: object.name))
        return try await base.create(type, namespace: namespace, object: object, fieldManager: fieldManager)
    }

    public func update(
        _ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String
    ) async throws(APIError) -> JSON {
        try await before(
            Call(verb: .update, type: type, namespace: namespace, name: object.name, subresource: subresource))
        return try await base.update(
            type, namespace: namespace, object: object, subresource: subresource, fieldManager: fieldManager)
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        try await before(Call(verb: .patch, type: type, namespace: namespace, name: name, subresource: subresource))
        return try await base.patch(
            type, namespace: namespace, name: name, patch: patch, patchType: patchType, subresource: subresource,
            fieldManager: fieldManager)
    }

    public func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    {
        try await before(
            Call(verb: .patch, type: type, namespace: namespace, name: object.name ?? "", subresource: nil))
        return try await base.apply(
            type, namespace: namespace, object: object, fieldManager: fieldManager, force: force)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        try await before(Call(verb: .delete, type: type, namespace: namespace, name: name))
        try await base.delete(type, namespace: namespace, name: name, options: options)
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        try await before(Call(verb: .post, type: type, namespace: namespace, name: name, subresource: subresource))
        try await base.post(type, namespace: namespace, name: name, subresource: subresource, body: body)
    }
}
