import Foundation
import Logging
import SkiffModel
import SkiffStore
import Synchronization

/// The generic registry: Kubernetes object semantics (metadata, optimistic concurrency, generation, status,
/// finalizers, namespaces) on top of a `KeyValueStore`. HTTP handlers and in-process callers both go through it,
/// so admission and watch behave the same for everyone. It names no kind: what differs per resource comes from its
/// entry in `strategies` (a `ResourceStrategy` plus storage hooks), and every write then passes `admission`.
public final class ObjectRegistry: Sendable {
    let store: any KeyValueStore
    let logger: Logger
    private let resourceTypes: Mutex<ResourceRegistry>
    let now: @Sendable () -> Date
    /// Whether a garbage collector honours the `orphan`/`foregroundDeletion` finalizers; without one, those
    /// propagation policies fall back to background so deletes never hang.
    let garbageCollection: Bool
    /// Parsed forms of recent revisions, shared by in-process readers.
    let decoded = DecodedObjects()
    /// Cluster IPs and node ports of Services (off until `enableServiceAllocation`).
    public let serviceAllocations: ServiceAllocations
    /// What each resource does differently (strategies and storage hooks), by group-resource.
    let strategies: RegistryStrategies
    /// The admission chain every write passes after its strategy, in order.
    let admission: [any AdmissionStep]
    /// The RBAC objects, indexed for authorization (kept current by the API server, `RBACIndex.follow`).
    public let rbac = RBACIndex()

    public init(
        store: any KeyValueStore, resources: ResourceRegistry = ResourceRegistry(), logger: Logger,
        garbageCollection: Bool = false, podSecurityDefaults: PodSecurityPolicy = .privileged,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.garbageCollection = garbageCollection
        self.resourceTypes = Mutex(resources)
        let services = ServiceAllocations()
        let active = ActiveNamespaces()
        let namespaces = NamespaceLifecycle(active: active)
        self.serviceAllocations = services
        self.strategies = .builtin(services: services, namespaces: namespaces)
        self.admission = [
            namespaces, PodSecurityStep(defaults: podSecurityDefaults, namespaces: active), RBACEscalation(),
        ]
        self.logger = logger
        self.now = now
    }

    /// The resource types served right now (built-ins plus established custom resources).
    public var resources: ResourceRegistry { resourceTypes.withLock { $0 } }

    /// Replaces the served custom resource types.
    func updateResources(_ update: (inout ResourceRegistry) -> Void) {
        resourceTypes.withLock { update(&$0) }
    }

    // MARK: Keys

    /// `/registry/<group|core>/<resource>/[<namespace>/]<name>`.
    static func key(_ type: ResourceType, namespace: String?, name: String) -> String {
        prefix(type, namespace: namespace) + name
    }

    /// The key prefix of a collection: every object of the type, or those in one namespace.
    static func prefix(_ type: ResourceType, namespace: String?) -> String {
        var key = "/registry/\(type.group.isEmpty ? "core" : type.group)/\(type.resource)/"
        if type.namespaced, let namespace { key += namespace + "/" }
        return key
    }

    // MARK: Reads

    /// The stored version of one object.
    func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> KeyValue {
        guard
            let kv = try await storeCall({ () async throws(StoreError) in
                try await self.store.get(Self.key(type, namespace: namespace, name: name))
            })
        else {
            throw APIError.notFound(type, name)
        }
        return kv
    }

    /// One object, parsed, with its resourceVersion.
    public func getObject(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try decode(try await get(type, namespace: namespace, name: name))
    }

    /// The parsed object of a stored version, with its resourceVersion (shared with other readers of that version).
    func decode(_ kv: KeyValue) throws(APIError) -> JSON {
        try decoded.object(kv)
    }

    /// `decode` without `metadata.managedFields`, one shared copy per revision.
    func decodeTrimmed(_ kv: KeyValue) throws(APIError) -> JSON {
        try decoded.trimmedObject(kv)
    }

    /// A page of a collection at one revision.
    struct Page {
        var items: [KeyValue]
        var revision: Revision
        /// The last key returned when more items follow.
        var continueAfter: String?
    }

    func list(
        _ type: ResourceType, namespace: String?, startAfter: String? = nil, limit: Int? = nil,
        revision: Revision? = nil, filter: ((KeyValue) throws(APIError) -> Bool)? = nil
    ) async throws(APIError) -> Page {
        let prefix = Self.prefix(type, namespace: namespace)
        var items: [KeyValue] = []
        var cursor = startAfter
        var at = revision
        let wanted = (limit ?? 0) > 0 ? limit! : Int.max
        // With a filter, keep reading pages until the limit is filled or the range ends (as upstream does).
        while true {
            let request = ListRequest(
                prefix: prefix, startAfter: cursor, limit: wanted == .max ? nil : max(wanted - items.count, 50),
                revision: at)
            let page = try await storeCall({ () async throws(StoreError) in try await self.store.list(request) })
            at = page.revision
            for item in page.items {
                if let filter, try !filter(item) {
                    cursor = item.key
                    continue
                }
                if items.count == wanted {
                    return Page(items: items, revision: page.revision, continueAfter: items.last?.key)
                }
                items.append(item)
                cursor = item.key
            }
            if !page.hasMore { return Page(items: items, revision: page.revision, continueAfter: nil) }
            if items.count == wanted {
                return Page(items: items, revision: page.revision, continueAfter: items.last?.key)
            }
        }
    }

    func currentRevision() async throws(APIError) -> Revision {
        try await storeCall({ () async throws(StoreError) in try await self.store.currentRevision() })
    }

    func watch(_ type: ResourceType, namespace: String?, after revision: Revision) async throws(APIError) -> WatchStream
    {
        let prefix = Self.prefix(type, namespace: namespace)
        return try await storeCall({ () async throws(StoreError) in
            try await self.store.watch(prefix: prefix, after: revision)
        })
    }

    /// `watch` as a `Result`, for callers that answer some failures in-band.
    func openWatch(_ type: ResourceType, namespace: String?, after revision: Revision) async -> Result<
        WatchStream, APIError
    > {
        do {
            return .success(try await watch(type, namespace: namespace, after: revision))
        } catch {
            return .failure(error)
        }
    }

    /// Maps store failures to the Status errors clients expect.
    func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(APIError) -> T {
        do {
            return try await body()
        } catch {
            switch error.code {
            case .expired: throw APIError.expired(error.message)
            case .invalidRequest: throw APIError.badRequest(error.message)
            case .keyNotFound, .keyExists, .conflict: throw APIError.internal(error.message)
            case .cancelled:
                // The caller has gone (shutdown, client left): nothing failed.
                logger.debug("store call cancelled", metadata: ["error": "\(error)"])
                throw APIError(code: 503, reason: "ServiceUnavailable", message: error.message, retryAfterSeconds: 1)
            case .unavailable, .closed:
                // The datastore is out of reach (PostgreSQL restarting, a locked file) or shutting down: the client
                // may retry, as for an unreachable etcd.
                logger.error("store unavailable", metadata: ["error": "\(error)"])
                throw APIError(
                    code: 503, reason: "ServiceUnavailable", message: error.description, retryAfterSeconds: 1)
            case .corrupt:
                logger.error("store failure", metadata: ["error": "\(error)"])
                throw APIError.internal(error.description)
            }
        }
    }
}
