import Foundation
import SkiffClient
import SkiffModel

/// The agent's API: the server's, through the agent's cache. Everything the node needs to run its pods — its
/// Node and the others (pod network routes), its Pods, the ConfigMaps and Secrets they mount, Services and
/// EndpointSlices — is recorded as it comes from lists, watches and reads; while `link` is offline those reads are
/// answered from the cache and everything else fails at once with the link's `offlineError`, instead of waiting on
/// a dead connection.
///
/// Watches follow the link: one opened online ends when the link goes down (the informer relists, from the cache),
/// one opened offline ends when the server is back (the informer relists from the server: pods deleted or changed
/// meanwhile are noticed then, and the cache is brought in step).
public struct CachedClusterAPI: ClusterAPI {
    public let upstream: any ClusterAPI
    public let cache: AgentCache
    public let link: ServerLinkMonitor

    /// The resourceVersion of a list answered from the cache: a watch from it waits for the server.
    public static let cacheVersion = "agent-cache"

    /// Resources kept, by group.
    static let kept: [String: Set<String>] = [
        "": ["nodes", "pods", "configmaps", "secrets", "services"],
        "discovery.k8s.io": ["endpointslices"],
    ]

    public init(upstream: any ClusterAPI, cache: AgentCache, link: ServerLinkMonitor) {
        self.upstream = upstream
        self.cache = cache
        self.link = link
    }

    public var resources: ResourceRegistry { upstream.resources }

    /// The cache's kind for `type`, nil when it is not kept.
    static func kind(_ type: ResourceType) -> String? {
        kept[type.group]?.contains(type.resource) == true ? type.resource : nil
    }

    // MARK: Reads

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        guard let kind = Self.kind(type) else {
            return try await direct { () async throws(APIError) in
                try await upstream.get(type, namespace: namespace, name: name)
            }
        }
        let key = CacheKey(kind: kind, namespace: namespace ?? "", name: name)
        await link.waitUntilDecided()
        if !link.isOffline {
            do {
                let object = try await upstream.get(type, namespace: namespace, name: name)
                link.answered()
                cache.record(kind: kind, Self.kept(kind, object))
                return object
            } catch {
                link.report(error)
                if error.code == 404 { cache.remove(key) }
                guard ServerLink.isUnreachable(error) else { throw error }
            }
        }
        guard let cached = cache.object(key) else { throw link.offlineError }
        return cached
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError)
        -> ObjectList
    {
        guard let kind = Self.kind(type) else {
            return try await direct { () async throws(APIError) in
                try await upstream.list(type, namespace: namespace, options: options)
            }
        }
        await link.waitUntilDecided()
        if !link.isOffline {
            do {
                let list = try await upstream.list(type, namespace: namespace, options: options)
                link.answered()
                let items = list.items.map { Self.kept(kind, $0) }
                if options.labelSelector == nil, Self.isOwnScope(options.fieldSelector) {
                    cache.replace(kind: kind, namespace: namespace, with: items)
                    if kind == "pods" { Self.pruneReferences(cache) }
                } else {
                    for item in items { cache.record(kind: kind, item) }
                }
                return list
            } catch {
                link.report(error)
                guard ServerLink.isUnreachable(error) else { throw error }
            }
        }
        return try Self.select(cache.objects(kind: kind), resource: kind, namespace: namespace, options: options)
    }

    /// What the cache keeps of an object. Nodes are kept as the pod network reads them offline (name, pod CIDR,
    /// addresses, labels, taints): every node's status heartbeat would otherwise rewrite the cache every few
    /// seconds in a large cluster, wearing an edge box's flash for nothing.
    static func kept(_ kind: String, _ object: JSON) -> JSON {
        guard kind == "nodes" else { return object }
        var metadata: JSON = ["name": object["metadata"]["name"]]
        for field in ["uid", "labels", "annotations"] where !object["metadata"][field].isNull {
            metadata[field] = object["metadata"][field]
        }
        if !metadata["annotations"].isNull {
            // The lifecycle controller's note changes while the node is unreachable; nothing offline reads it.
            _ = metadata["annotations"].removeValue(forKey: "node.skiff.io/last-heard")
        }
        var spec = JSON.emptyObject
        for field in ["podCIDR", "podCIDRs", "taints", "unschedulable"] where !object["spec"][field].isNull {
            spec[field] = object["spec"][field]
        }
        return [
            "apiVersion": "v1", "kind": "Node", "metadata": metadata, "spec": spec,
            "status": ["addresses": object["status"]["addresses"]],
        ]
    }

    /// Whether a list with this field selector covers every object of its kind the cache keeps: none, or this node's
    /// pods (the only pods the agent lists and keeps).
    static func isOwnScope(_ fieldSelector: String?) -> Bool {
        guard let fieldSelector else { return true }
        return fieldSelector.hasPrefix("spec.nodeName=") && !fieldSelector.contains(",")
    }

    /// The cached objects a list would have answered.
    static func select(_ objects: [JSON], resource: String, namespace: String?, options: ListOptions) throws(APIError)
        -> ObjectList
    {
        let labels: LabelSelector?
        let fields: FieldSelector?
        do {
            labels = try options.labelSelector.map { text throws(SelectorError) in try LabelSelector(parsing: text) }
            fields = try options.fieldSelector.map { text throws(SelectorError) in try FieldSelector(parsing: text) }
        } catch {
            throw APIError.badRequest("\(error)")
        }
        let items = objects.filter { object in
            (namespace == nil || object.namespace == namespace)
                && (labels?.matches(object: object) ?? true)
                && (fields?.matches(object, resource: resource) ?? true)
        }
        return ObjectList(items: items, resourceVersion: cacheVersion)
    }

    public func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        guard let kind = Self.kind(type) else {
            let generation = link.link.generation
            let stream = try await direct { () async throws(APIError) in
                try await upstream.watch(type, namespace: namespace, resourceVersion: resourceVersion, options: options)
            }
            return following(stream, since: generation, record: nil)
        }
        await link.waitUntilDecided()
        let generation = link.link.generation
        if resourceVersion == Self.cacheVersion || link.isOffline { return untilBack() }
        let stream: AsyncThrowingStream<ClusterEvent, any Error>
        do {
            stream = try await upstream.watch(
                type, namespace: namespace, resourceVersion: resourceVersion, options: options)
        } catch {
            link.report(error)
            throw error
        }
        let cache = cache
        return following(stream, since: generation) { event in
            if event.kind == .deleted {
                cache.remove(
                    CacheKey(kind: kind, namespace: event.object.namespace ?? "", name: event.object.name ?? ""))
                if kind == "pods" { Self.pruneReferences(cache) }
            } else {
                cache.record(kind: kind, Self.kept(kind, event.object))
            }
        }
    }

    /// A watch for an informer that listed from the cache: no events; it ends with a 410 once the server answers
    /// again, so the informer relists from the server.
    func untilBack() -> AsyncThrowingStream<ClusterEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ClusterEvent, any Error>.makeStream()
        let link = link
        let task = Task {
            await link.waitUntilOnline()
            continuation.finish(
                throwing: APIError.expired("the agent ran from its local cache; the server is back: relist"))
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// `upstream`'s events (each recorded first), until it ends or the link changes state after `generation`.
    func following(
        _ upstream: AsyncThrowingStream<ClusterEvent, any Error>, since generation: Int,
        record: (@Sendable (ClusterEvent) -> Void)?
    ) -> AsyncThrowingStream<ClusterEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ClusterEvent, any Error>.makeStream()
        let link = link
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await event in upstream {
                            record?(event)
                            continuation.yield(event)
                        }
                        continuation.finish()
                    } catch {
                        if let error = error as? APIError { link.report(error) }
                        continuation.finish(throwing: error)
                    }
                }
                group.addTask {
                    await link.waitForChange(after: generation)
                    guard !Task.isCancelled else { return }
                    continuation.finish(
                        throwing: APIError.expired("the link to the server changed; the watch starts again"))
                }
                await group.next()
                group.cancelAll()
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Forgets the ConfigMaps, Secrets and tokens no cached pod refers to any more (a deleted pod's Secrets do not
    /// stay on the node's disk). The cluster settings stay: the agent reads them at start.
    static func pruneReferences(_ cache: AgentCache) {
        var referenced: Set<CacheKey> = [
            CacheKey(kind: "configmaps", namespace: ClusterSettings.namespace, name: ClusterSettings.name)
        ]
        var uids: Set<String> = []
        for pod in cache.objects(kind: "pods") {
            let namespace = pod.namespace ?? "default"
            let names = PodReferenceNames(pod: pod)
            for name in names.configMaps {
                referenced.insert(CacheKey(kind: "configmaps", namespace: namespace, name: name))
            }
            for name in names.secrets { referenced.insert(CacheKey(kind: "secrets", namespace: namespace, name: name)) }
            if let uid = pod.uid { uids.insert(uid) }
        }
        cache.removeAll { key in
            switch key.kind {
            case "configmaps", "secrets": !referenced.contains(key)
            case "serviceaccounttokens": !uids.contains(tokenPodUID(key))
            default: false
            }
        }
    }

    /// A token's key is `<service account>/<pod uid>/<audiences>`.
    static func tokenPodUID(_ key: CacheKey) -> String {
        let parts = key.name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    // MARK: Writes

    public func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String)
        async throws(APIError) -> JSON
    {
        try await direct { () async throws(APIError) in
            try await upstream.create(type, namespace: namespace, object: object, fieldManager: fieldManager)
        }
    }

    public func update(
        _ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String
    ) async throws(APIError) -> JSON {
        try await direct { () async throws(APIError) in
            try await upstream.update(
                type, namespace: namespace, object: object, subresource: subresource, fieldManager: fieldManager)
        }
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        try await direct { () async throws(APIError) in
            try await upstream.patch(
                type, namespace: namespace, name: name, patch: patch, patchType: patchType, subresource: subresource,
                fieldManager: fieldManager)
        }
    }

    public func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    {
        try await direct { () async throws(APIError) in
            try await upstream.apply(
                type, namespace: namespace, object: object, fieldManager: fieldManager, force: force)
        }
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        try await direct { () async throws(APIError) in
            try await upstream.delete(type, namespace: namespace, name: name, options: options)
        }
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        try await direct { () async throws(APIError) in
            try await upstream.post(type, namespace: namespace, name: name, subresource: subresource, body: body)
        }
    }

    /// A request the cache cannot answer: sent to the server when the link is up, failed at once when it is down.
    func direct<T: Sendable>(_ request: () async throws(APIError) -> T) async throws(APIError) -> T {
        await link.waitUntilDecided()
        guard !link.isOffline else { throw link.offlineError }
        do {
            let result = try await request()
            link.answered()
            return result
        } catch {
            link.report(error)
            throw error
        }
    }

    // MARK: Tokens

    /// `request` (a TokenRequest for a pod's projected volume) with its answers kept: while the server is
    /// unreachable, the pod's last token is handed out again, so a pod restarted offline mounts its volume.
    public func cachingTokens(
        _ request: @escaping @Sendable (String, String, JSON) async throws -> JSON
    ) -> @Sendable (String, String, JSON) async throws -> JSON {
        let (cache, link) = (cache, link)
        return { namespace, account, body in
            let spec = body["spec"]
            let audiences = (spec["audiences"].arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            let key = CacheKey(
                kind: "serviceaccounttokens", namespace: namespace,
                name: "\(account)/\(spec["boundObjectRef"]["uid"].stringValue ?? "")/\(audiences)")
            await link.waitUntilDecided()
            if !link.isOffline {
                do {
                    let answer = try await request(namespace, account, body)
                    link.answered()
                    cache.record(key, answer)
                    return answer
                } catch let error as APIError {
                    link.report(error)
                    guard ServerLink.isUnreachable(error) else { throw error }
                }
            }
            guard let cached = cache.object(key) else { throw link.offlineError }
            return cached
        }
    }

    /// Whether `error` is the one a request gets while the link is down (callers log it quietly: the link's own
    /// log lines already say the agent is offline).
    public static func isOffline(_ error: APIError) -> Bool {
        error.code == 503 && error.message.contains("runs from its local cache")
    }
}
