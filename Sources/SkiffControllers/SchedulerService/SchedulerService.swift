import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Runs the scheduling core against the cluster: keeps its cache current from node and pod watches, schedules
/// pending pods (several binds in flight, so they share the store's group commits), binds them through
/// `pods/binding`, and reports unschedulable pods with a `PodScheduled=False` condition and an event. Unschedulable
/// pods are retried whenever nodes or pods change.
public struct SchedulerService: Service {
    let api: any ClusterAPI
    let logger: Logger
    let workers: Int

    public init(api: any ClusterAPI, workers: Int = 16, logger: Logger) {
        self.api = api
        self.workers = workers
        self.logger = logger
    }

    final class State: Sendable {
        let scheduler = Mutex(PodScheduler())
        let unschedulable = Mutex<[String: String]>([:])  // pod key → last reported message
        let queue = WorkQueue()

        func retryUnschedulable() {
            let keys = unschedulable.withLock { Array($0.keys) }
            for key in keys { queue.add(key) }
        }
    }

    public func run() async throws {
        let state = State()
        let pods = Informer(api: api, type: api.type("", "v1", "pods"), logger: logger)
        let nodes = Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger)
        let events = EventRecorder(api: api, component: "default-scheduler", logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await events.run() }
            group.addTask {
                await nodes.run { event in
                    state.scheduler.withLock { scheduler in
                        if event.kind == .deleted {
                            _ = scheduler.cache.removeNode(named: event.object.name ?? "")
                        } else {
                            scheduler.cache.upsert(node: NodeView(event.object))
                        }
                    }
                    state.retryUnschedulable()
                }
            }
            group.addTask {
                await pods.run { event in
                    // Queue keys are namespace/name (the informer's); the cache keys pods by uid.
                    let view = PodView(event.object)
                    let key = Informer.key(event.object)
                    if event.kind == .deleted {
                        let removed = state.scheduler.withLock { $0.cache.removePod(view) }
                        state.unschedulable.withLock { _ = $0.removeValue(forKey: key) }
                        if removed { state.retryUnschedulable() }
                    } else if !(event.object["spec"]["nodeName"].stringValue ?? "").isEmpty {
                        state.scheduler.withLock { $0.cache.upsert(pod: view) }
                        state.unschedulable.withLock { _ = $0.removeValue(forKey: key) }
                    } else if view.needsScheduling() {
                        state.queue.add(key)
                    }
                }
            }
            for _ in 0..<workers {
                group.addTask {
                    // Judged against a node cache still filling, a pod would be reported unschedulable for nothing.
                    await nodes.waitUntilSynced()
                    await pods.waitUntilSynced()
                    while let key = await state.queue.next() {
                        await schedule(key, pods: pods, state: state, events: events)
                        state.queue.done(key)
                    }
                }
            }
            try await gracefulShutdown()
            state.queue.close()
            group.cancelAll()
        }
    }

    func schedule(_ key: String, pods: Informer, state: State, events: EventRecorder) async {
        guard let pod = pods.get(key), (pod["spec"]["nodeName"].stringValue ?? "").isEmpty, pod.deletionTimestamp == nil
        else { return }
        let view = PodView(pod)
        let decision = state.scheduler.withLock { (scheduler: inout PodScheduler) -> Result<ScheduleResult, FitError> in
            Result { () throws(FitError) -> ScheduleResult in try scheduler.scheduleAndAssume(view) }
        }
        let podsType = api.type("", "v1", "pods")
        switch decision {
        case .success(let result):
            do {
                try await api.post(
                    podsType, namespace: pod.namespace, name: pod.name ?? "", subresource: "binding",
                    body: [
                        "apiVersion": "v1", "kind": "Binding", "metadata": ["name": pod["metadata"]["name"]],
                        "target": ["apiVersion": "v1", "kind": "Node", "name": .string(result.nodeName)],
                    ])
                state.unschedulable.withLock { _ = $0.removeValue(forKey: key) }
                await events.record(
                    pod, type: "Normal", reason: "Scheduled",
                    message: "Successfully assigned \(pod.namespace ?? "")/\(pod.name ?? "") to \(result.nodeName)")
            } catch {
                _ = state.scheduler.withLock { $0.cache.forget(pod: view) }
                logger.debug("binding failed", metadata: ["pod": "\(key)", "error": "\(error)"])
                if error.code != 404 && error.code != 409 { state.queue.add(key) }
            }
        case .failure(let fit):
            let message = fit.message
            let changed = state.unschedulable.withLock { reported -> Bool in
                defer { reported[key] = message }
                return reported[key] != message
            }
            guard changed else { return }
            var updated = pod
            PodConditions.set(
                &updated, type: "PodScheduled", status: "False", at: KubeTimestamp.string(Date()),
                reason: "Unschedulable",
                message: message)
            do {
                _ = try await api.update(
                    podsType, namespace: pod.namespace, object: updated, subresource: "status",
                    fieldManager: "default-scheduler")
            } catch {
                // Still retried with the unschedulable pods, and the condition written again at the next attempt
                // (a message that no fit error has).
                state.unschedulable.withLock { $0[key] = "" }
                if error.code != 404 && error.code != 409 {
                    logger.warning(
                        "unschedulable condition not written", metadata: ["pod": "\(key)", "error": "\(error)"])
                }
            }
            await events.record(pod, type: "Warning", reason: "FailedScheduling", message: message)
        }
    }
}
