import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Runs a pure workload reconcile (`ReplicaSetReconciler`, `DeploymentReconciler`, …) against the cluster: informers
/// for the primary resource and what it owns, a work queue of primary keys, expectations for in-flight writes, and
/// an executor for the reconcile's actions.
public struct WorkloadController: Service {
    /// What a reconcile can read: the cached objects of a resource in a namespace.
    public struct Cache: Sendable {
        let informers: [WorkloadResource: Informer]
        let nodeInformer: Informer?

        /// Every node (for DaemonSets).
        public var nodes: [JSON] { nodeInformer?.objects ?? [] }

        /// Every cached object of `resource` in `namespace`.
        public func objects(_ resource: WorkloadResource, namespace: String) -> [JSON] {
            informers[resource]?.objects(inNamespace: namespace) ?? []
        }

        /// What `owner` may claim: the objects it controls and the orphans of its namespace (objects controlled by
        /// anyone else can never be claimed, and are most of a busy namespace).
        public func candidates(_ resource: WorkloadResource, of owner: JSON) -> [JSON] {
            guard let informer = informers[resource] else { return [] }
            return informer.objects(controlledBy: owner.uid ?? "")
                + informer.orphans(inNamespace: owner.namespace ?? "")
        }

        /// The objects controlled by any of `owners`.
        public func controlled(_ resource: WorkloadResource, by owners: [JSON]) -> [JSON] {
            guard let informer = informers[resource] else { return [] }
            return owners.flatMap { informer.objects(controlledBy: $0.uid ?? "") }
        }

        func get(_ resource: WorkloadResource, key: String) -> JSON? { informers[resource]?.get(key) }
    }

    public typealias Reconcile = @Sendable (_ object: JSON, _ cache: Cache, _ now: Date) -> WorkloadReconcileResult

    let api: any ClusterAPI
    let primary: WorkloadResource
    let owned: [WorkloadResource]
    let component: String
    let workers: Int
    let watchesNodes: Bool
    let reconcile: Reconcile
    let logger: Logger
    /// The clock reconciles and requeues run on (tests move it to reach a schedule).
    let now: @Sendable () -> Date

    public init(
        api: any ClusterAPI, primary: WorkloadResource, owned: [WorkloadResource], component: String, workers: Int = 4,
        watchesNodes: Bool = false, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        reconcile: @escaping Reconcile
    ) {
        self.api = api
        self.now = now
        self.watchesNodes = watchesNodes
        self.primary = primary
        self.owned = owned
        self.component = component
        self.workers = workers
        self.logger = logger
        self.reconcile = reconcile
    }

    /// The ReplicaSet controller.
    public static func replicaSets(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(
            api: api, primary: .replicaSets, owned: [.pods], component: "replicaset-controller", logger: logger
        ) {
            replicaSet, cache, now in
            ReplicaSetReconciler.reconcile(
                replicaSet: replicaSet, pods: cache.candidates(.pods, of: replicaSet), now: now)
        }
    }

    /// The Deployment controller.
    public static func deployments(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(
            api: api, primary: .deployments, owned: [.replicaSets, .pods], component: "deployment-controller",
            logger: logger
        ) { deployment, cache, now in
            let replicaSets = cache.candidates(.replicaSets, of: deployment)
            // Only the Recreate strategy looks at pods (those of the Deployment's own ReplicaSets).
            let recreate = deployment["spec"]["strategy"]["type"].stringValue == "Recreate"
            let owned = replicaSets.filter { WorkloadReference.isControlled($0, byUID: deployment.uid) }
            return DeploymentReconciler.reconcile(
                deployment: deployment, replicaSets: replicaSets,
                pods: recreate ? cache.controlled(.pods, by: owned) : [], now: now)
        }
    }

    /// The Job controller (with TTL-after-finished).
    public static func jobs(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(api: api, primary: .jobs, owned: [.pods], component: "job-controller", logger: logger) {
            job, cache, now in
            JobReconciler.reconcile(job: job, pods: cache.candidates(.pods, of: job), now: now)
        }
    }

    /// The CronJob controller.
    public static func cronJobs(
        api: any ClusterAPI, logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) -> WorkloadController {
        WorkloadController(
            api: api, primary: .cronJobs, owned: [.jobs], component: "cronjob-controller", logger: logger, now: now
        ) { cronJob, cache, now in
            CronJobReconciler.reconcile(cronJob: cronJob, jobs: cache.candidates(.jobs, of: cronJob), now: now)
        }
    }

    /// The DaemonSet controller.
    public static func daemonSets(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(
            api: api, primary: .daemonSets, owned: [.pods, .controllerRevisions], component: "daemonset-controller",
            watchesNodes: true, logger: logger
        ) { daemonSet, cache, now in
            let namespace = daemonSet.namespace ?? ""
            return DaemonSetReconciler.reconcile(
                daemonSet: daemonSet, nodes: cache.nodes, pods: cache.candidates(.pods, of: daemonSet),
                revisions: cache.objects(.controllerRevisions, namespace: namespace), now: now)
        }
    }

    /// The StatefulSet controller.
    public static func statefulSets(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(
            api: api, primary: .statefulSets, owned: [.pods, .persistentVolumeClaims, .controllerRevisions],
            component: "statefulset-controller", logger: logger
        ) { statefulSet, cache, now in
            let namespace = statefulSet.namespace ?? ""
            return StatefulSetReconciler.reconcile(
                statefulSet: statefulSet, pods: cache.candidates(.pods, of: statefulSet),
                claims: cache.objects(.persistentVolumeClaims, namespace: namespace),
                revisions: cache.objects(.controllerRevisions, namespace: namespace), now: now)
        }
    }

    /// How long dependents' events gather before their owner is reconciled.
    static let dependentBatchWindow: Duration = .milliseconds(100)

    public func run() async throws {
        var informers: [WorkloadResource: Informer] = [:]
        for resource in [primary] + owned where informers[resource] == nil {
            informers[resource] = Informer(api: api, type: type(resource), logger: logger)
        }
        let nodeInformer = watchesNodes ? Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger) : nil
        let cache = Cache(informers: informers, nodeInformer: nodeInformer)
        let expectations = Expectations()
        let events = EventRecorder(api: api, component: component, logger: logger)
        var watches: [Controller.Watch] = informers.map { resource, informer in
            Controller.Watch(informer) { event, queue in
                if resource == primary {
                    let key = Informer.key(event.object)
                    if event.kind == .deleted { expectations.forget(key) }
                    queue.add(key)
                    return
                }
                guard let ownerKey = owner(of: event.object, cache: cache) else { return }
                if event.object.controllerReference?["kind"].stringValue == primary.kind {
                    expectations.observe(
                        ownerKey, added: event.kind == .added ? 1 : 0, deleted: event.kind == .deleted ? 1 : 0)
                }
                // Dependents change in bursts (a thousand pods binding, then starting): their owner is
                // reconciled once per 100 ms window rather than once per event, all owners of a window together.
                queue.add(ownerKey, alignedTo: Self.dependentBatchWindow)
            }
        }
        if let nodeInformer, let primaries = informers[primary] {
            // Any node change may change where a DaemonSet runs: reconcile them all.
            watches.append(
                Controller.Watch(nodeInformer) { _, queue in
                    for object in primaries.objects { queue.add(Informer.key(object)) }
                })
        }
        let controller = Controller(
            Controller.Configuration(name: component, workers: workers), watches: watches,
            companions: [{ await events.run() }], logger: logger
        ) { key, _ in
            guard expectations.satisfied(key), let object = cache.get(primary, key: key) else { return .done }
            let result = reconcile(object, cache, now())
            let (adds, deletes) = Self.writeCounts(result.actions[...])
            expectations.expect(key, adds: adds, deletes: deletes)
            if let failure = await execute(result.actions, key: key, expectations: expectations, events: events) {
                throw failure
            }
            return Controller.Result(requeueAfter: result.requeueAfter.map { Duration.seconds(min(max($0, 0), 1e9)) })
        }
        try await controller.run()
    }

    /// Carries actions out in order, stopping at the first failure, which it returns. Runs of creates go out in
    /// slow-start batches (1, 2, 4, …) of concurrent requests, so they share the store's group commits.
    func execute(
        _ actions: [WorkloadAction], key: String, expectations: Expectations, events: EventRecorder
    ) async -> APIError? {
        var index = 0
        var batch = 1
        while index < actions.count {
            if case .create = actions[index] {
                var end = index
                while end < actions.count, end - index < batch, case .create = actions[end] { end += 1 }
                let creates = actions[index..<end]
                let failures = await withTaskGroup(of: APIError?.self) { group in
                    for action in creates {
                        guard case .create(let resource, let namespace, let object) = action else { continue }
                        group.addTask {
                            do throws(APIError) {
                                _ = try await api.create(
                                    type(resource), namespace: namespace, object: object, fieldManager: component)
                                return nil
                            } catch {
                                return error
                            }
                        }
                    }
                    var failures: [APIError] = []
                    for await case let failure? in group { failures.append(failure) }
                    return failures
                }
                if let first = failures.first {
                    expectations.observe(key, added: failures.count)
                    let (adds, deletes) = Self.writeCounts(actions[end...])
                    expectations.observe(key, added: adds, deleted: deletes)
                    return first
                }
                index = end
                batch = min(batch * 2, 64)
                continue
            }
            if let failure = await executeOne(actions, at: index, key: key, expectations: expectations, events: events)
            {
                return failure
            }
            index += 1
        }
        return nil
    }

    /// One non-create action; its error (after adjusting expectations for everything not done) when it failed.
    func executeOne(
        _ actions: [WorkloadAction], at index: Int, key: String, expectations: Expectations, events: EventRecorder
    ) async -> APIError? {
        let action = actions[index]
        do throws(APIError) {
            switch action {
            case .create(let resource, let namespace, let object):
                _ = try await api.create(type(resource), namespace: namespace, object: object, fieldManager: component)
            case .update(let resource, let object):
                _ = try await api.update(
                    type(resource), namespace: object.namespace, object: object, subresource: nil,
                    fieldManager: component)
            case .updateStatus(let resource, let object):
                _ = try await api.update(
                    type(resource), namespace: object.namespace, object: object, subresource: "status",
                    fieldManager: component)
            case .delete(let resource, let namespace, let name, let uid, let propagation):
                var options: JSON = .emptyObject
                if let uid { options["preconditions"] = ["uid": .string(uid)] }
                if let propagation { options["propagationPolicy"] = .string(propagation) }
                do {
                    try await api.delete(type(resource), namespace: namespace, name: name, options: options)
                } catch {
                    guard error.code == 404 else { throw error }
                    expectations.observe(key, deleted: 1)  // already gone: no event will come
                }
            case .event(let event):
                await events.record(event.object, type: event.type, reason: event.reason, message: event.message)
            }
        } catch {
            // What was not done will not be observed.
            let (adds, deletes) = Self.writeCounts(actions[index...])
            expectations.observe(key, added: adds, deleted: deletes)
            return error
        }
        return nil
    }

    /// How many creates and deletes a run of actions holds (what the informers will have to observe).
    static func writeCounts(_ actions: ArraySlice<WorkloadAction>) -> (creates: Int, deletes: Int) {
        var creates = 0
        var deletes = 0
        for action in actions {
            switch action {
            case .create: creates += 1
            case .delete: deletes += 1
            default: break
            }
        }
        return (creates, deletes)
    }

    func type(_ resource: WorkloadResource) -> ResourceType {
        api.type(resource.group, resource.version, resource.resource)
    }

    /// The primary object that (transitively) controls `object`, as a queue key.
    func owner(of object: JSON, cache: Cache) -> String? {
        var current = object
        for _ in 0..<3 {
            guard let reference = current.controllerReference, let kind = reference["kind"].stringValue,
                let name = reference["name"].stringValue, let namespace = current.namespace
            else { return nil }
            let key = "\(namespace)/\(name)"
            if kind == primary.kind { return key }
            guard let resource = owned.first(where: { $0.kind == kind }), let parent = cache.get(resource, key: key)
            else { return nil }
            current = parent
        }
        return nil
    }
}
