import Logging
import SkiffModel
import SkiffStore
import Synchronization

/// The API server's cluster IP and node port allocator: off until `enableServiceAllocation` rebuilds it from the
/// stored Services; then every Service create and update is admitted through it before it is stored, so responses
/// already carry the allocated values, and deletes give the values back.
public final class ServiceAllocations: Sendable {
    private let state = Mutex<ServiceAllocator?>(nil)

    public init() {}

    /// What one write claimed: `commit` once it is stored (gives up what the write dropped), `rollback` otherwise.
    struct Reservation: WriteCompletion {
        let owner: ServiceAllocations
        let change: ServiceAllocator.Change

        func commit() { owner.release(change.released) }
        func rollback() { owner.release(change.claimed) }
    }

    func install(_ allocator: ServiceAllocator) { state.withLock { $0 = allocator } }

    /// A copy of the current bitmaps (nil while disabled), for tests and diagnostics.
    public var snapshot: ServiceAllocator? { state.withLock { $0 } }

    /// Fills in and claims a Service's allocated fields; nil while disabled.
    func admit(_ type: ResourceType, _ object: inout JSON, old: JSON?) throws(APIError) -> Reservation? {
        let change = try state.withLock {
            (allocator: inout ServiceAllocator?) throws(APIError) -> ServiceAllocator.Change? in
            guard allocator != nil else { return nil }
            return try allocator!.admit(&object, old: old, type: type)
        }
        return change.map { Reservation(owner: self, change: $0) }
    }

    /// Gives back what a deleted Service held.
    func released(_ object: JSON) {
        state.withLock { allocator in
            guard let holdings = allocator?.holdings(of: object) else { return }
            allocator?.release(holdings)
        }
    }

    func release(_ holdings: ServiceAllocator.Holdings) {
        guard !holdings.isEmpty else { return }
        state.withLock { $0?.release(holdings) }
    }
}

/// The Services' storage hooks: every create and main-endpoint update is admitted through the allocator before it
/// is stored, so responses already carry the allocated values; deletes give the values back.
extension ServiceAllocations: StorageHooks {
    func beginCreate(_ type: ResourceType, _ object: inout JSON) throws(APIError) -> (any WriteCompletion)? {
        try admit(type, &object, old: nil)
    }

    func beginUpdate(_ type: ResourceType, _ object: inout JSON, old: JSON) throws(APIError) -> (any WriteCompletion)? {
        try admit(type, &object, old: old)
    }

    func afterDelete(_ type: ResourceType, _ object: JSON) { released(object) }
}

extension ObjectRegistry {
    static let serviceType = ResourceRegistry().lookup(group: "", version: "v1", resource: "services")!
    static let endpointsType = ResourceRegistry().lookup(group: "", version: "v1", resource: "endpoints")!
    static let endpointSliceType = ResourceRegistry().lookup(
        group: "discovery.k8s.io", version: "v1", resource: "endpointslices")!

    /// Turns cluster IP and node port allocation on, marking what the stored Services already hold (the allocator's
    /// state lives in the Services themselves, so a restart loses nothing).
    public func enableServiceAllocation(
        serviceNetwork: IPv4Network, nodePortRange: ClosedRange<Int> = 30000...32767
    ) async throws(APIError) {
        let page = try await list(Self.serviceType, namespace: nil)
        var services: [JSON] = []
        services.reserveCapacity(page.items.count)
        for item in page.items { services.append(try StoredBytes.decode(item)) }
        var allocator = ServiceAllocator(serviceNetwork: serviceNetwork, nodePortRange: nodePortRange)
        let duplicates = allocator.rebuild(from: services)
        if duplicates > 0 {
            logger.warning("services hold the same cluster IP or node port", metadata: ["duplicates": "\(duplicates)"])
        }
        serviceAllocations.install(allocator)
        logger.debug(
            "service allocation enabled",
            metadata: [
                "service-cidr": "\(serviceNetwork)", "services": "\(services.count)",
                "ips": "\(allocator.allocatedIPs)",
            ])
    }

    /// The `kubernetes` Service in `default` (the first service IP, 443 → the API port) and its Endpoints and
    /// EndpointSlice at the API server's address; creates what is missing and corrects an address that changed.
    /// - Parameter keepOthers: existing Endpoints are left as they are (other servers are listed there; the
    ///   `kubernetes` reconciler adds this one), instead of being set to this server alone.
    public func seedKubernetesService(address: String, port: Int, keepOthers: Bool = false) async throws(APIError) {
        var service: JSON = [
            "metadata": ["name": "kubernetes", "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": [
                "type": "ClusterIP", "sessionAffinity": "None",
                "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(port)]],
            ],
        ]
        if let first = serviceAllocations.snapshot?.firstAddress { service["spec"]["clusterIP"] = .string(first) }
        try await createIfMissing(Self.serviceType, service)
        let endpoints: JSON = [
            "metadata": ["name": "kubernetes", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": [
                [
                    "addresses": [["ip": .string(address)]],
                    "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
                ]
            ],
        ]
        if keepOthers {
            try await createIfMissing(Self.endpointsType, endpoints)
        } else {
            try await upsert(Self.endpointsType, endpoints, fields: ["subsets"])
        }
        let slice: JSON = [
            "metadata": ["name": "kubernetes", "labels": ["kubernetes.io/service-name": "kubernetes"]],
            "addressType": "IPv4",
            "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
        ]
        if keepOthers {
            try await createIfMissing(Self.endpointSliceType, slice)
        } else {
            try await upsert(Self.endpointSliceType, slice, fields: ["addressType", "endpoints", "ports"])
        }
    }

    private func createIfMissing(_ type: ResourceType, _ object: JSON) async throws(APIError) {
        // Looked up first: a create would be refused for its taken cluster IP before the store saw the duplicate.
        if try await storeCall({ () async throws(StoreError) in
            try await self.store.get(Self.key(type, namespace: "default", name: object.name ?? ""))
        }) != nil {
            return
        }
        do {
            _ = try await create(type, namespace: "default", object: object)
        } catch let error where error.reason == "AlreadyExists" {
            return
        }
    }

    private func upsert(_ type: ResourceType, _ object: JSON, fields: [String]) async throws(APIError) {
        _ = try await update(type, namespace: "default", name: object.name ?? "", createIfMissing: true) {
            live throws(APIError) in
            guard var live else { return object }
            for field in fields { live[field] = object[field] }
            return live
        }
    }
}
