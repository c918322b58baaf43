import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Deletes objects whose owners are gone and completes `orphan` / `foregroundDeletion` deletions, for the owner and
/// dependent kinds skiff's controllers create. Sweeps every few seconds over its informers' caches.
public struct GarbageCollector: Service {
    let api: any ClusterAPI
    let interval: Duration
    let clock: ServiceClock
    let logger: Logger

    /// Kinds that own or are owned by others in the built-in controllers.
    static let tracked: [(group: String, resource: String)] = [
        ("apps", "deployments"), ("apps", "replicasets"), ("apps", "daemonsets"), ("apps", "statefulsets"),
        ("apps", "controllerrevisions"), ("batch", "jobs"), ("batch", "cronjobs"), ("", "pods"),
        ("", "replicationcontrollers"), ("", "services"), ("", "endpoints"), ("discovery.k8s.io", "endpointslices"),
    ]

    public init(
        api: any ClusterAPI, interval: Duration = .seconds(1), clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.api = api
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let informers = Self.tracked.map {
            Informer(api: api, type: api.type($0.group, "v1", $0.resource), logger: logger)
        }
        // One key, swept every interval over the caches.
        let controller = Controller(
            Controller.Configuration(name: "garbage-collector", resync: interval, clock: clock),
            watches: informers.map { Controller.Watch($0) { _, _ in } }, resyncKeys: { [Self.sweepKey] },
            logger: logger
        ) { _, _ in
            await sweep(informers)
            return .done
        }
        try await controller.run()
    }

    static let sweepKey = "sweep"

    func sweep(_ informers: [Informer]) async {
        var byUID: [String: (object: JSON, type: ResourceType)] = [:]
        var trackedKinds = Set<String>()
        var all: [(JSON, ResourceType)] = []
        for informer in informers {
            trackedKinds.insert(informer.type.kind)
            for object in informer.objects {
                if let uid = object.uid { byUID[uid] = (object, informer.type) }
                all.append((object, informer.type))
            }
        }
        for (object, type) in all {
            var owners: [String: GarbageCollection.OwnerState] = [:]
            for reference in object["metadata"]["ownerReferences"].arrayValue ?? [] {
                guard let uid = reference["uid"].stringValue else { continue }
                if let owner = byUID[uid]?.object {
                    owners[uid] = owner.deletionTimestamp == nil ? .present : .deleting(finalizers: owner.finalizers)
                } else {
                    owners[uid] = trackedKinds.contains(reference["kind"].stringValue ?? "") ? .absent : .unknown
                }
            }
            guard let action = GarbageCollection.decide(dependent: object, owners: owners), let name = object.name
            else { continue }
            do {
                switch action {
                case .deleteDependent:
                    try await api.delete(
                        type, namespace: object.namespace, name: name,
                        options: [
                            "propagationPolicy": "Background", "preconditions": ["uid": object["metadata"]["uid"]],
                        ])
                    logger.debug("garbage collected", metadata: ["object": "\(type.resource)/\(name)"])
                case .removeOwnerReferences(let uids):
                    let kept = (object["metadata"]["ownerReferences"].arrayValue ?? []).filter {
                        !uids.contains($0["uid"].stringValue ?? "")
                    }
                    _ = try await api.patch(
                        type, namespace: object.namespace, name: name,
                        // An emptied list is removed (null in a merge patch), as upstream leaves no empty field.
                        patch: [
                            "metadata": [
                                "ownerReferences": kept.isEmpty ? .null : .array(kept),
                                "resourceVersion": object["metadata"]["resourceVersion"],
                            ]
                        ],
                        patchType: .merge, subresource: nil, fieldManager: "garbage-collector")
                }
            } catch {
                if error.code != 404 && error.code != 409 {
                    logger.warning(
                        "garbage collection failed",
                        metadata: ["object": "\(type.resource)/\(name)", "error": "\(error)"])
                }
            }
        }
        // Owners waiting on orphan/foreground finalizers whose dependents are all handled lose those finalizers.
        for (uid, entry) in byUID where entry.object.deletionTimestamp != nil && !stillDependedOn(uid, all) {
            let pending = entry.object.finalizers.filter { $0 == "orphan" || $0 == "foregroundDeletion" }
            guard !pending.isEmpty, let name = entry.object.name else { continue }
            let remaining = entry.object.finalizers.filter { !pending.contains($0) }
            do {
                _ = try await api.patch(
                    entry.type, namespace: entry.object.namespace, name: name,
                    patch: [
                        "metadata": [
                            "finalizers": .array(remaining.map { .string($0) }),
                            "resourceVersion": entry.object["metadata"]["resourceVersion"],
                        ]
                    ],
                    patchType: .merge, subresource: nil, fieldManager: "garbage-collector")
            } catch {
                // Gone or changed meanwhile: the next sweep sees the new state. Anything else is worth saying.
                if error.code != 404 && error.code != 409 {
                    logger.warning(
                        "owner finalizers not removed",
                        metadata: ["object": "\(entry.type.resource)/\(name)", "error": "\(error)"])
                }
            }
        }
    }

    func stillDependedOn(_ uid: String, _ all: [(JSON, ResourceType)]) -> Bool {
        all.contains { object, _ in
            object.deletionTimestamp == nil
                && (object["metadata"]["ownerReferences"].arrayValue ?? []).contains { $0["uid"].stringValue == uid }
        }
    }
}
