import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Keeps every selector Service's `Endpoints` and `EndpointSlice`s in step with its pods (upstream's endpoints and
/// endpointslice controllers in one): a work queue of Service keys, fed by Service, pod, Endpoints and slice events.
public struct EndpointsController: Service {
    let api: any ClusterAPI
    /// Writes the EndpointSlices (upstream's endpointslice controller has an identity of its own).
    let sliceAPI: any ClusterAPI
    let workers: Int
    let logger: Logger

    public init(api: any ClusterAPI, sliceAPI: (any ClusterAPI)? = nil, workers: Int = 2, logger: Logger) {
        self.api = api
        self.sliceAPI = sliceAPI ?? api
        self.workers = workers
        self.logger = logger
    }

    /// Who writes `resource`.
    func writer(_ resource: EndpointsResource) -> any ClusterAPI { resource == .endpointSlices ? sliceAPI : api }

    public func run() async throws {
        let services = Informer(api: api, type: api.type("", "v1", "services"), logger: logger)
        let pods = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
        let endpoints = Informer(api: api, type: api.type("", "v1", "endpoints"), logger: logger)
        let slices = Informer(
            api: api, type: api.type("discovery.k8s.io", "v1", "endpointslices"),
            options: ListOptions(
                labelSelector: "\(EndpointsReconciler.managedByLabel)=\(EndpointsReconciler.controllerName)"),
            logger: logger)
        let memberships = PodMemberships()
        let expectations = Expectations()
        let watches = [
            Controller.Watch(services) { event, queue in queue.add(Informer.key(event.object)) },
            Controller.Watch(pods) { event, queue in
                // A pod whose labels changed leaves the Services it matched before: requeue those too.
                let now =
                    event.kind == .deleted
                    ? []
                    : Self.services(
                        matching: event.object, in: services.objects(inNamespace: event.object.namespace ?? ""))
                for key in memberships.replace(Informer.key(event.object), with: now) { queue.add(key) }
            },
            Controller.Watch(endpoints) { event, queue in
                // Endpoints without a Service may be someone's (created before their selectorless Service): only
                // those of known Services are put back in shape, as upstream.
                let key = Informer.key(event.object)
                if event.kind == .deleted || services.get(key) != nil { queue.add(key) }
            },
            Controller.Watch(slices) { event, queue in
                guard let namespace = event.object.namespace,
                    let name = event.object["metadata"]["labels"][EndpointsReconciler.serviceNameLabel].stringValue
                else { return }
                let key = "\(namespace)/\(name)"
                expectations.observe(key, added: event.kind == .added ? 1 : 0, deleted: event.kind == .deleted ? 1 : 0)
                queue.add(key)
            },
        ]
        let controller = Controller(
            Controller.Configuration(name: "endpoints-controller", workers: workers), watches: watches, logger: logger
        ) { key, _ in
            guard expectations.satisfied(key) else { return .done }
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return .done }
            let (namespace, name) = (parts[0], parts[1])
            let actions = EndpointsReconciler.reconcile(
                namespace: namespace, name: name, service: services.get(key),
                pods: pods.objects(inNamespace: namespace), endpoints: endpoints.get(key),
                slices: slices.objects(inNamespace: namespace).filter {
                    $0["metadata"]["labels"][EndpointsReconciler.serviceNameLabel].stringValue == name
                })
            if let failure = await execute(actions, key: key, expectations: expectations) { throw failure }
            return .done
        }
        try await controller.run()
    }

    /// The keys of the selector Services in the pod's namespace whose selector the pod's labels match.
    static func services(matching pod: JSON, in services: [JSON]) -> Set<String> {
        var keys: Set<String> = []
        for service in services where service.namespace == pod.namespace {
            guard let selector = EndpointsReconciler.selector(of: service),
                selector.allSatisfy({ pod["metadata"]["labels"][$0.key].stringValue == $0.value })
            else { continue }
            keys.insert(Informer.key(service))
        }
        return keys
    }

    /// Carries the actions out; the last failure, if one failed (the key is retried).
    func execute(_ actions: [EndpointsAction], key: String, expectations: Expectations) async -> APIError? {
        let creates = actions.filter { if case .create(.endpointSlices, _) = $0 { true } else { false } }.count
        let deletes = actions.filter { if case .delete(.endpointSlices, _, _) = $0 { true } else { false } }.count
        expectations.expect(key, adds: creates, deletes: deletes)
        var failure: APIError?
        for action in actions {
            do throws(APIError) {
                switch action {
                case .create(let resource, let object):
                    _ = try await writer(resource).create(
                        type(resource), namespace: object.namespace, object: object, fieldManager: manager(resource))
                case .update(let resource, let object):
                    _ = try await writer(resource).update(
                        type(resource), namespace: object.namespace, object: object, subresource: nil,
                        fieldManager: manager(resource))
                case .delete(let resource, let namespace, let name):
                    do {
                        try await writer(resource).delete(
                            type(resource), namespace: namespace, name: name, options: .emptyObject)
                    } catch  where error.code == 404 {
                        if resource == .endpointSlices { expectations.observe(key, deleted: 1) }
                    }
                }
            } catch {
                // A write that failed will not be observed.
                switch action {
                case .create(.endpointSlices, _): expectations.observe(key, added: 1)
                case .delete(.endpointSlices, _, _): expectations.observe(key, deleted: 1)
                default: break
                }
                failure = error
            }
        }
        return failure
    }

    func type(_ resource: EndpointsResource) -> ResourceType { api.type(resource.group, "v1", resource.rawValue) }

    func manager(_ resource: EndpointsResource) -> String {
        resource == .endpoints ? "endpoint-controller" : "endpointslice-controller"
    }
}

/// Which Services each pod matched when last seen, so a pod that stops matching one still requeues it.
final class PodMemberships: Sendable {
    private let state = Mutex<[String: Set<String>]>([:])

    /// Records the pod's current Services; returns them together with the ones it matched before.
    func replace(_ pod: String, with services: Set<String>) -> Set<String> {
        state.withLock { state in
            let before = state[pod] ?? []
            state[pod] = services.isEmpty ? nil : services
            return before.union(services)
        }
    }
}
