import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Keeps every selector Service's `Endpoints` and `EndpointSlice`s in step with its pods (upstream's endpoints and
/// endpointslice controllers in one): a work queue of Service keys, fed by Service, pod, Endpoints and slice events.
public struct EndpointsController: Service {
    let api: any ClusterAPI
    let workers: Int
    let logger: Logger

    public init(api: any ClusterAPI, workers: Int = 2, logger: Logger) {
        self.api = api
        self.workers = workers
        self.logger = logger
    }

    public func run() async throws {
        let services = Informer(api: api, type: api.type("", "v1", "services"), logger: logger)
        let pods = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
        let endpoints = Informer(api: api, type: api.type("", "v1", "endpoints"), logger: logger)
        let slices = Informer(
            api: api, type: api.type("discovery.k8s.io", "v1", "endpointslices"),
            options: ListOptions(
                labelSelector: "\(EndpointsReconciler.managedByLabel)=\(EndpointsReconciler.controllerName)"),
            logger: logger)
        let queue = WorkQueue()
        let memberships = PodMemberships()
        let expectations = Expectations()
        let delayed = DelayedKeys()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await services.run { event in queue.add(Informer.key(event.object)) }
            }
            group.addTask {
                await pods.run { event in
                    // A pod whose labels changed leaves the Services it matched before: requeue those too.
                    let now = event.kind == .deleted ? [] : Self.services(matching: event.object, in: services.objects(inNamespace: event.object.namespace ?? ""))
                    for key in memberships.replace(Informer.key(event.object), with: now) { queue.add(key) }
                }
            }
            group.addTask {
                await endpoints.run { event in
                    // Endpoints without a Service may be someone's (created before their selectorless Service):
                    // only those of known Services are put back in shape, as upstream.
                    let key = Informer.key(event.object)
                    if event.kind == .deleted || services.get(key) != nil { queue.add(key) }
                }
            }
            group.addTask {
                await slices.run { event in
                    guard let namespace = event.object.namespace,
                        let name = event.object["metadata"]["labels"][EndpointsReconciler.serviceNameLabel].stringValue
                    else { return }
                    let key = "\(namespace)/\(name)"
                    expectations.observe(
                        key, added: event.kind == .added ? 1 : 0, deleted: event.kind == .deleted ? 1 : 0)
                    queue.add(key)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
                    for key in delayed.due(Date()) { queue.add(key) }
                }
            }
            for _ in 0..<workers {
                group.addTask {
                    // Keys wait in the queue until every cache has its first list.
                    while !(services.hasSynced && pods.hasSynced && endpoints.hasSynced && slices.hasSynced) {
                        do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
                    }
                    while let key = await queue.next() {
                        defer { queue.done(key) }
                        guard expectations.satisfied(key) else { continue }
                        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                        guard parts.count == 2 else { continue }
                        let (namespace, name) = (parts[0], parts[1])
                        let actions = EndpointsReconciler.reconcile(
                            namespace: namespace, name: name, service: services.get(key),
                            pods: pods.objects(inNamespace: namespace), endpoints: endpoints.get(key),
                            slices: slices.objects(inNamespace: namespace).filter {
                                $0["metadata"]["labels"][EndpointsReconciler.serviceNameLabel].stringValue == name
                            })
                        if await !execute(actions, key: key, expectations: expectations) {
                            delayed.add(key, at: Date() + 1)
                        }
                    }
                }
            }
            try await gracefulShutdown()
            queue.close()
            group.cancelAll()
        }
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

    /// Carries the actions out; false when one failed (the key is retried).
    func execute(_ actions: [EndpointsAction], key: String, expectations: Expectations) async -> Bool {
        let creates = actions.filter { if case .create(.endpointSlices, _) = $0 { true } else { false } }.count
        let deletes = actions.filter { if case .delete(.endpointSlices, _, _) = $0 { true } else { false } }.count
        expectations.expect(key, adds: creates, deletes: deletes)
        var succeeded = true
        for action in actions {
            do {
                switch action {
                case .create(let resource, let object):
                    _ = try await api.create(
                        type(resource), namespace: object.namespace, object: object, fieldManager: manager(resource))
                case .update(let resource, let object):
                    _ = try await api.update(
                        type(resource), namespace: object.namespace, object: object, subresource: nil,
                        fieldManager: manager(resource))
                case .delete(let resource, let namespace, let name):
                    do {
                        try await api.delete(type(resource), namespace: namespace, name: name, options: .emptyObject)
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
                if error.code != 409 {
                    logger.warning("endpoints write failed", metadata: ["service": "\(key)", "error": "\(error)"])
                }
                succeeded = false
            }
        }
        return succeeded
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
