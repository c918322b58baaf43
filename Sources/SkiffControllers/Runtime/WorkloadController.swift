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
            return informer.objects(controlledBy: owner.uid ?? "") + informer.orphans(inNamespace: owner.namespace ?? "")
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
        WorkloadController(api: api, primary: .replicaSets, owned: [.pods], component: "replicaset-controller", logger: logger) {
            replicaSet, cache, now in
            ReplicaSetReconciler.reconcile(replicaSet: replicaSet, pods: cache.candidates(.pods, of: replicaSet), now: now)
        }
    }

    /// The Deployment controller.
    public static func deployments(api: any ClusterAPI, logger: Logger) -> WorkloadController {
        WorkloadController(
            api: api, primary: .deployments, owned: [.replicaSets, .pods], component: "deployment-controller", logger: logger
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
        WorkloadController(api: api, primary: .jobs, owned: [.pods], component: "job-controller", logger: logger) { job, cache, now in
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

    /// How long dependents' events gather before their owner is reconciled (also the requeue timer's tick).
    static let dependentBatchWindow: TimeInterval = 0.1

    public func run() async throws {
        var informers: [WorkloadResource: Informer] = [:]
        for resource in [primary] + owned where informers[resource] == nil {
            informers[resource] = Informer(api: api, type: type(resource), logger: logger)
        }
        let nodeInformer = watchesNodes ? Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger) : nil
        let cache = Cache(informers: informers, nodeInformer: nodeInformer)
        let all = informers
        let queue = WorkQueue()
        let expectations = Expectations()
        let delayed = DelayedKeys()
        let events = EventRecorder(api: api, component: component, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await events.run() }
            for (resource, informer) in all {
                group.addTask {
                    await informer.run { event in
                        if resource == primary {
                            let key = Informer.key(event.object)
                            if event.kind == .deleted { expectations.forget(key) }
                            queue.add(key)
                            return
                        }
                        guard let ownerKey = owner(of: event.object, cache: cache) else { return }
                        if directOwner(of: event.object)?.kind == primary.kind {
                            expectations.observe(ownerKey, added: event.kind == .added ? 1 : 0, deleted: event.kind == .deleted ? 1 : 0)
                        }
                        // Dependents change in bursts (a thousand pods binding, then starting): their owner is
                        // reconciled once per 100 ms window rather than once per event.
                        delayed.add(ownerKey, at: now() + Self.dependentBatchWindow)
                    }
                }
            }
            if let nodeInformer {
                let primaries = cache.informers[primary]
                group.addTask {
                    // Any node change may change where a DaemonSet runs: reconcile them all.
                    await nodeInformer.run { _ in
                        for object in primaries?.objects ?? [] { queue.add(Informer.key(object)) }
                    }
                }
            }
            group.addTask {
                // Requeues that a reconcile asked for (minReadySeconds, deadlines, TTLs) and batched dependents.
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(Self.dependentBatchWindow)) } catch { return }
                    for key in delayed.due(now()) { queue.add(key) }
                }
            }
            for _ in 0..<workers {
                group.addTask {
                    while let key = await queue.next() {
                        defer { queue.done(key) }
                        guard cache.informers.values.allSatisfy(\.hasSynced), cache.nodeInformer?.hasSynced ?? true,
                            expectations.satisfied(key),
                            let object = cache.get(primary, key: key)
                        else { continue }
                        let result = reconcile(object, cache, now())
                        let (adds, deletes) = Self.writeCounts(result.actions[...])
                        expectations.expect(key, adds: adds, deletes: deletes)
                        let failed = await execute(result.actions, key: key, expectations: expectations, events: events)
                        if failed {
                            delayed.add(key, at: now() + 1)
                        } else if let after = result.requeueAfter {
                            delayed.add(key, at: now() + after)
                        }
                    }
                }
            }
            try await gracefulShutdown()
            queue.close()
            group.cancelAll()
        }
    }

    /// Carries actions out in order, stopping at the first failure; returns whether one failed. Runs of creates go
    /// out in slow-start batches (1, 2, 4, …) of concurrent requests, so they share the store's group commits.
    func execute(_ actions: [WorkloadAction], key: String, expectations: Expectations, events: EventRecorder) async -> Bool {
        var index = 0
        var batch = 1
        while index < actions.count {
            if case .create = actions[index] {
                var end = index
                while end < actions.count, end - index < batch, case .create = actions[end] { end += 1 }
                let creates = actions[index..<end]
                let failures = await withTaskGroup(of: Bool.self) { group in
                    for action in creates {
                        guard case .create(let resource, let namespace, let object) = action else { continue }
                        group.addTask {
                            do {
                                _ = try await api.create(type(resource), namespace: namespace, object: object, fieldManager: component)
                                return false
                            } catch {
                                return true
                            }
                        }
                    }
                    var failed = 0
                    for await failure in group where failure { failed += 1 }
                    return failed
                }
                if failures > 0 {
                    expectations.observe(key, added: failures)
                    let (adds, deletes) = Self.writeCounts(actions[end...])
                    expectations.observe(key, added: adds, deleted: deletes)
                    return true
                }
                index = end
                batch = min(batch * 2, 64)
                continue
            }
            if await !executeOne(actions, at: index, key: key, expectations: expectations, events: events) { return true }
            index += 1
        }
        return false
    }

    /// One non-create action; false (after adjusting expectations for everything not done) when it failed.
    func executeOne(_ actions: [WorkloadAction], at index: Int, key: String, expectations: Expectations, events: EventRecorder) async -> Bool {
        let action = actions[index]
        do {
                switch action {
                case .create(let resource, let namespace, let object):
                    _ = try await api.create(type(resource), namespace: namespace, object: object, fieldManager: component)
                case .update(let resource, let object):
                    _ = try await api.update(type(resource), namespace: object.namespace, object: object, subresource: nil, fieldManager: component)
                case .updateStatus(let resource, let object):
                    _ = try await api.update(type(resource), namespace: object.namespace, object: object, subresource: "status", fieldManager: component)
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
                if (error as? APIError)?.code != 409 {
                    logger.warning("\(component) action failed", metadata: ["object": "\(key)", "error": "\(error)"])
                }
                return false
            }
        return true
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

    /// The controller ownerReference of an object.
    func directOwner(of object: JSON) -> (kind: String, name: String)? {
        for reference in object["metadata"]["ownerReferences"].arrayValue ?? [] where reference["controller"].boolValue == true {
            if let kind = reference["kind"].stringValue, let name = reference["name"].stringValue { return (kind, name) }
        }
        return nil
    }

    /// The primary object that (transitively) controls `object`, as a queue key.
    func owner(of object: JSON, cache: Cache) -> String? {
        var current = object
        for _ in 0..<3 {
            guard let (kind, name) = directOwner(of: current), let namespace = current.namespace else { return nil }
            let key = "\(namespace)/\(name)"
            if kind == primary.kind { return key }
            guard let resource = owned.first(where: { $0.kind == kind }), let parent = cache.get(resource, key: key) else { return nil }
            current = parent
        }
        return nil
    }
}

/// Keys to requeue at a later time.
final class DelayedKeys: Sendable {
    private let due = Mutex<[String: Date]>([:])

    /// Keeps the earliest time asked for a key.
    func add(_ key: String, at time: Date) {
        due.withLock { $0[key] = min($0[key] ?? .distantFuture, time) }
    }

    /// Removes and returns the keys due at `now`.
    func due(_ now: Date) -> [String] {
        due.withLock { state in
            let keys = state.filter { $0.value <= now }.map(\.key)
            for key in keys { state[key] = nil }
            return keys
        }
    }
}
