import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Keeps the `kubernetes` Service and its Endpoints/EndpointSlice in `default` as the API server publishes them
/// (upstream's endpoint reconciler): a deleted one comes back at once, a changed address is corrected, and every
/// `interval` it is all checked again. A pass that finds everything current writes nothing.
public struct KubernetesServiceReconciler: Service {
    static let name = "kubernetes"
    static let key = "default/kubernetes"
    static let fieldManager = "kube-apiserver"

    let api: any ClusterAPI
    let address: String
    let port: Int
    let clusterIP: String?
    let interval: Duration
    let clock: ServiceClock
    let logger: Logger

    /// - Parameter clusterIP: the Service's address (the first of the service network), nil to let it be allocated.
    public init(
        api: any ClusterAPI, address: String, port: Int, clusterIP: String?, interval: Duration = .seconds(10),
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.api = api
        self.address = address
        self.port = port
        self.clusterIP = clusterIP
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// One write that brings an object in line.
    enum Action: Equatable {
        case create(EndpointsResource?, JSON)
        case update(EndpointsResource?, JSON)
    }

    /// What to write, given the current copies (nil: missing); the resource is nil for the Service itself.
    static func actions(
        address: String, port: Int, clusterIP: String?, service: JSON?, endpoints: JSON?, slice: JSON?
    ) -> [Action] {
        var actions: [Action] = []
        if service == nil {
            var service: JSON = [
                "metadata": ["name": .string(name), "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": [
                    "type": "ClusterIP", "sessionAffinity": "None",
                    "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(port)]],
                ],
            ]
            if let clusterIP { service["spec"]["clusterIP"] = .string(clusterIP) }
            actions.append(.create(nil, service))
        }
        let desiredEndpoints: JSON = [
            "metadata": ["name": .string(name), "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": [
                [
                    "addresses": [["ip": .string(address)]],
                    "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
                ]
            ],
        ]
        actions += upsert(.endpoints, desired: desiredEndpoints, current: endpoints, fields: ["subsets"])
        let desiredSlice: JSON = [
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/service-name": .string(name)]],
            "addressType": "IPv4",
            "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
        ]
        actions += upsert(
            .endpointSlices, desired: desiredSlice, current: slice, fields: ["addressType", "endpoints", "ports"])
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
        let controller = Controller(
            Controller.Configuration(name: "kubernetes-service", resync: interval, clock: clock),
            watches: [services, endpoints, slices].map { Controller.Watch($0) { _, queue in queue.add(Self.key) } },
            resyncKeys: { [Self.key] }, logger: logger
        ) { _, _ in
            let actions = Self.actions(
                address: address, port: port, clusterIP: clusterIP, service: services.get(Self.key),
                endpoints: endpoints.get(Self.key), slice: slices.get(Self.key))
            for action in actions { try await perform(action) }
            return .done
        }
        try await controller.run()
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
