import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Keeps the `kubernetes` Service and its Endpoints/EndpointSlice in `default` as the API server publishes them
/// (upstream's endpoint reconciler): a deleted one comes back at once, a changed address is corrected, and every
/// `interval` it is all checked again. A pass that finds everything current writes nothing.
///
/// With `membership` (several servers on one datastore), the Endpoints list every live server, as
/// `APIServerMembership` says: this server renews its own lease on its passes and deletes it when it stops.
public struct KubernetesServiceReconciler: Service {
    static let name = "kubernetes"
    static let key = "default/kubernetes"
    static let fieldManager = "kube-apiserver"

    let api: any ClusterAPI
    let own: APIServerMembership.Member
    let clusterIP: String?
    let interval: Duration
    /// The lease duration of the servers' membership; nil: this server is the only one.
    let membership: Duration?
    let clock: ServiceClock
    let now: @Sendable () -> Date
    let logger: Logger

    /// - Parameters:
    ///   - clusterIP: the Service's address (the first of the service network), nil to let it be allocated.
    ///   - membership: the lease duration, when other servers may share the datastore (nil: one server).
    public init(
        api: any ClusterAPI, address: String, port: Int, clusterIP: String?, interval: Duration = .seconds(5),
        membership: Duration? = nil, clock: ServiceClock = .continuous,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.api = api
        self.own = .init(address: address, port: port)
        self.clusterIP = clusterIP
        self.interval = interval
        self.membership = membership
        self.clock = clock
        self.now = now
        self.logger = logger
    }

    /// One write that brings an object in line.
    enum Action: Equatable {
        case create(EndpointsResource?, JSON)
        case update(EndpointsResource?, JSON)
    }

    /// What to write, given the servers to list and the current copies (nil: missing); the resource is nil for the
    /// Service itself.
    static func actions(
        members: [APIServerMembership.Member], targetPort: Int, clusterIP: String?, service: JSON?, endpoints: JSON?,
        slice: JSON?
    ) -> [Action] {
        var actions: [Action] = []
        if service == nil {
            var service: JSON = [
                "metadata": ["name": .string(name), "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": [
                    "type": "ClusterIP", "sessionAffinity": "None",
                    "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(targetPort)]],
                ],
            ]
            if let clusterIP { service["spec"]["clusterIP"] = .string(clusterIP) }
            actions.append(.create(nil, service))
        }
        let desiredEndpoints: JSON = [
            "metadata": ["name": .string(name), "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": APIServerMembership.subsets(members),
        ]
        actions += upsert(.endpoints, desired: desiredEndpoints, current: endpoints, fields: ["subsets"])
        if let (addresses, port) = APIServerMembership.slice(members) {
            let desiredSlice: JSON = [
                "metadata": ["name": .string(name), "labels": ["kubernetes.io/service-name": .string(name)]],
                "addressType": "IPv4",
                "endpoints": .array(addresses.map { ["addresses": [.string($0)], "conditions": ["ready": true]] }),
                "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
            ]
            actions += upsert(
                .endpointSlices, desired: desiredSlice, current: slice, fields: ["addressType", "endpoints", "ports"])
        }
        return actions
    }

    private static func upsert(
        _ resource: EndpointsResource, desired: JSON, current: JSON?, fields: [String]
    ) -> [Action] {
        guard var current else { return [.create(resource, desired)] }
        guard fields.contains(where: { current[$0] != desired[$0] }) else { return [] }
        for field in fields { current[field] = desired[field] }
        return [.update(resource, current)]
    }

    public func run() async throws {
        let options = ListOptions(fieldSelector: "metadata.name=\(Self.name)")
        let services = Informer(
            api: api, type: api.type("", "v1", "services"), namespace: "default", options: options, clock: clock,
            logger: logger)
        let endpoints = Informer(
            api: api, type: type(.endpoints), namespace: "default", options: options, clock: clock, logger: logger)
        let slices = Informer(
            api: api, type: type(.endpointSlices), namespace: "default", options: options, clock: clock, logger: logger)
        var sources = [services, endpoints, slices]
        let leases: Informer? =
            membership == nil
            ? nil
            : Informer(
                api: api, type: leaseType, namespace: APIServerMembership.namespace,
                options: ListOptions(labelSelector: "\(APIServerMembership.label)=true"), clock: clock, logger: logger)
        if let leases { sources.append(leases) }
        let controller = Controller(
            Controller.Configuration(name: "kubernetes-service", resync: interval, clock: clock),
            watches: sources.map { Controller.Watch($0) { _, queue in queue.add(Self.key) } },
            resyncKeys: { [Self.key] }, logger: logger
        ) { _, _ in
            var members = [own]
            if let leases, let duration = membership {
                try await renewLease(leases, duration: duration)
                members = APIServerMembership.members(leases: leases.objects, own: own, now: now())
            }
            let actions = Self.actions(
                members: members, targetPort: own.port, clusterIP: clusterIP, service: services.get(Self.key),
                endpoints: endpoints.get(Self.key), slice: slices.get(Self.key))
            for action in actions { try await perform(action) }
            return .done
        }
        try await controller.run()
        if membership != nil {
            // Stopping cleanly: the other servers drop this one from the Endpoints at once.
            do throws(APIError) {
                try await api.delete(
                    leaseType, namespace: APIServerMembership.namespace, name: APIServerMembership.leaseName(own),
                    options: [:])
            } catch {
                logger.debug("cannot delete the API server's lease", metadata: ["error": "\(error.message)"])
            }
        }
    }

    var leaseType: ResourceType { api.type("coordination.k8s.io", "v1", "leases") }

    /// Writes this server's lease when it is due.
    func renewLease(_ leases: Informer, duration: Duration) async throws(APIError) {
        let name = APIServerMembership.leaseName(own)
        let current = leases.get("\(APIServerMembership.namespace)/\(name)")
        let time = now()
        guard APIServerMembership.needsRenewal(current, member: own, now: time, duration: duration) else { return }
        let lease = APIServerMembership.lease(own, current: current, now: time, duration: duration)
        do throws(APIError) {
            if current == nil {
                _ = try await api.create(
                    leaseType, namespace: APIServerMembership.namespace, object: lease, fieldManager: Self.fieldManager)
            } else {
                _ = try await api.update(
                    leaseType, namespace: APIServerMembership.namespace, object: lease, subresource: nil,
                    fieldManager: Self.fieldManager)
            }
        } catch {
            // Someone else wrote it meanwhile (or the informer lags): its event brings the next pass.
            guard error.reason == "AlreadyExists" || error.reason == "Conflict" else { throw error }
        }
    }

    func perform(_ action: Action) async throws(APIError) {
        switch action {
        case .create(let resource, let object):
            let type = resource.map(type) ?? api.type("", "v1", "services")
            do {
                _ = try await api.create(type, namespace: "default", object: object, fieldManager: Self.fieldManager)
            } catch  where error.reason == "AlreadyExists" {
                // Created meanwhile: its event brings the next pass.
            }
        case .update(let resource, let object):
            let type = resource.map(type) ?? api.type("", "v1", "services")
            _ = try await api.update(
                type, namespace: "default", object: object, subresource: nil, fieldManager: Self.fieldManager)
        }
    }

    func type(_ resource: EndpointsResource) -> ResourceType { api.type(resource.group, "v1", resource.rawValue) }
}
