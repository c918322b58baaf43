import Foundation
import SkiffClient
import SkiffModel
import SkiffStore

/// `ClusterAPI` straight on the registry: controllers in the server process get the same admission, patch and watch
/// semantics as HTTP clients, minus sockets and JSON round trips through the network.
///
/// Who speaks decides what passes, through the same authorizer as HTTP requests: the API server's own loops speak
/// as the cluster admin (`init(registry:)`); each controller as its ServiceAccount in kube-system, bound to its
/// `system:controller:<name>` role, with its informers listing and watching as `system:kube-controller-manager`
/// (`controller(_:registry:)`, as upstream's controller manager does with `--use-service-account-credentials`);
/// the scheduler as `system:kube-scheduler`; the embedded agent as its node (`node(_:registry:)`), with a remote
/// node's rights, no more.
public struct InProcessClusterAPI: ClusterAPI {
    let registry: ObjectRegistry
    /// Who speaks; nil: the cluster admin (nothing is checked).
    let user: UserInfo?
    /// Who lists and watches, when not `user` (a controller's informers).
    let informerUser: UserInfo?
    let authorizer: RequestAuthorizer

    public init(registry: ObjectRegistry) {
        self.init(registry: registry, user: nil)
    }

    init(registry: ObjectRegistry, user: UserInfo?, informerUser: UserInfo? = nil) {
        self.registry = registry
        self.user = user
        self.informerUser = informerUser
        authorizer = RequestAuthorizer(registry: registry)
    }

    /// The API as `user` sees it.
    public static func `as`(_ user: UserInfo, registry: ObjectRegistry) -> InProcessClusterAPI {
        InProcessClusterAPI(registry: registry, user: user)
    }

    /// The API as the controller `name` sees it: writes and reads of single objects as
    /// `system:serviceaccount:kube-system:<name>`, lists and watches as `system:kube-controller-manager`.
    public static func controller(_ name: String, registry: ObjectRegistry) -> InProcessClusterAPI {
        InProcessClusterAPI(
            registry: registry, user: .serviceAccount(namespace: "kube-system", name: name),
            informerUser: UserInfo(name: "system:kube-controller-manager", groups: [UserInfo.authenticatedGroup]))
    }

    /// The scheduler's identity.
    public static func scheduler(registry: ObjectRegistry) -> InProcessClusterAPI {
        InProcessClusterAPI(
            registry: registry, user: UserInfo(name: "system:kube-scheduler", groups: [UserInfo.authenticatedGroup]))
    }

    /// The API as node `name` (`system:node:<name>`, group `system:nodes`) sees it.
    public static func node(_ name: String, registry: ObjectRegistry) -> InProcessClusterAPI {
        InProcessClusterAPI(
            registry: registry,
            user: UserInfo(name: "system:node:\(name)", groups: ["system:nodes", "system:authenticated"]))
    }

    public var resources: ResourceRegistry { registry.resources }

    /// Throws the refusal the HTTP path would answer.
    private func authorize(
        _ verb: String, _ type: ResourceType, _ namespace: String?, _ name: String?, subresource: String? = nil,
        creating object: JSON? = nil
    ) async throws(APIError) {
        guard var user else { return }
        await registry.rbac.waitIfFollowed()
        if verb == "list" || verb == "watch", let informerUser { user = informerUser }
        let request = RequestAttributes(
            user: user, verb: verb, group: type.group, resource: type.resource, subresource: subresource,
            namespace: type.namespaced ? namespace : nil, name: name)
        try await authorizer.authorize(request)
        if let object { try authorizer.checkCreate(request, object: object) }
    }

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await authorize("get", type, namespace, name)
        return try await registry.getObject(type, namespace: namespace, name: name)
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError)
        -> ObjectList
    {
        try await authorize("list", type, namespace, nil)
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
        try await authorize("watch", type, namespace, nil)
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
                    guard
                        let (kind, kv) = try ResourceHandler.translate(event, filter: filter, decode: registry.decode),
                        let eventKind = ClusterEvent.Kind(rawValue: kind)
                    else { continue }
                    continuation.yield(ClusterEvent(kind: eventKind, object: try decode(kv)))
                }
                continuation.finish()
            } catch let error as StoreError {
                continuation.finish(
                    throwing: error.code == .expired
                        ? APIError.expired(error.message) : APIError.internal(error.description))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return events
    }

    public func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String)
        async throws(APIError) -> JSON
    {
        try await authorize("create", type, namespace, nil, creating: object)
        return try registry.decode(
            try await registry.create(
                type, namespace: namespace, object: object,
                options: WriteOptions(fieldManager: fieldManager, user: user)))
    }

    public func update(
        _ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String
    ) async throws(APIError) -> JSON {
        guard let name = object.name else { throw APIError.badRequest("the object has no name") }
        try await authorize("update", type, namespace, name, subresource: subresource)
        let (kv, _) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource,
            options: WriteOptions(fieldManager: fieldManager, user: user)
        ) { _ throws(APIError) in object }
        return try registry.decode(kv)
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        try await self.patch(
            type, namespace: namespace, name: name, patch: patch, patchType: patchType, subresource: subresource,
            fieldManager: fieldManager, force: false)
    }

    public func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    {
        try await patch(
            type, namespace: namespace, name: object.name ?? "", patch: object, patchType: .apply, subresource: nil,
            fieldManager: fieldManager, force: force)
    }

    private func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String, force: Bool
    ) async throws(APIError) -> JSON {
        try await authorize("patch", type, namespace, name, subresource: subresource)
        let mediaType: RequestBody.MediaType =
            switch patchType {
            case .merge: .mergePatch
            case .json: .jsonPatch
            case .strategic: .strategicMergePatch
            case .apply: .applyPatch
            }
        let patcher = Patcher(
            type: type, mediaType: mediaType, patch: patch, fieldManager: fieldManager, force: force,
            subresource: subresource, now: registry.now())
        var options = WriteOptions(fieldManager: fieldManager, user: user)
        options.isApply = patchType == .apply
        let (kv, _) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource, options: options,
            createIfMissing: patchType == .apply
        ) { live throws(APIError) in try patcher.apply(to: live) }
        return try registry.decode(kv)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        try await authorize("delete", type, namespace, name)
        _ = try await registry.delete(type, namespace: namespace, name: name, options: try DeleteOptions(json: options))
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        try await authorize("create", type, namespace, name, subresource: subresource)
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
        func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }
        if let labels = options.labelSelector { parts.append("labelSelector=\(encode(labels))") }
        if let fields = options.fieldSelector { parts.append("fieldSelector=\(encode(fields))") }
        return QueryParameters(parts.joined(separator: "&"))
    }
}
