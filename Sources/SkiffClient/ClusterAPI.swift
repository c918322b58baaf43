import SkiffModel

/// How controllers, the scheduler and agents talk to the cluster. Two implementations: in-process (the API server's
/// registry, no sockets, same admission and watch path as HTTP callers) and HTTP (a remote server).
public protocol ClusterAPI: Sendable {
    func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON
    func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError) -> ObjectList
    /// Changes after `resourceVersion`; the stream ends with an `APIError` 410 when that version is gone.
    func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError)
        -> AsyncThrowingStream<ClusterEvent, any Error>
    func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String) async throws(APIError)
        -> JSON
    /// PUT; `subresource` is nil, "status", "binding" or "finalize".
    func update(_ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String)
        async throws(APIError) -> JSON
    func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON
    /// Server-side apply of `object` (named by its own metadata) under `fieldManager`; `force` takes over the fields
    /// other managers own instead of failing with a conflict, as `kubectl apply --server-side --force-conflicts`.
    func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError)
    /// POST on an object's subresource (`pods/binding`, `pods/eviction`).
    func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    /// The resource types the server serves.
    var resources: ResourceRegistry { get }
}

/// Query options of list and watch.
public struct ListOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    /// The caller has no use for `metadata.managedFields` (informers): an implementation may leave them out, and the
    /// in-process one then hands every such caller the same trimmed copy.
    public var withoutManagedFields = false

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
    }
}

/// A list response.
public struct ObjectList: Sendable {
    public var items: [JSON]
    public var resourceVersion: String

    public init(items: [JSON], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// One watch event.
public struct ClusterEvent: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }

    public var kind: Kind
    public var object: JSON

    public init(kind: Kind, object: JSON) {
        self.kind = kind
        self.object = object
    }
}

/// PATCH body formats.
public enum PatchType: String, Sendable {
    case merge = "application/merge-patch+json"
    case json = "application/json-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}

extension ClusterAPI {
    /// For implementations without their own: an apply patch, which conflicts rather than forcing.
    public func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    {
        try await patch(
            type, namespace: namespace, name: object.name ?? "", patch: object, patchType: .apply, subresource: nil,
            fieldManager: fieldManager)
    }

    /// The built-in type for a group, version and resource; traps only on a programming error (unknown built-in).
    public func type(_ group: String, _ version: String, _ resource: String) -> ResourceType {
        guard let type = resources.lookup(group: group, version: version, resource: resource) else {
            preconditionFailure("no built-in resource \(group)/\(version)/\(resource)")
        }
        return type
    }
}
