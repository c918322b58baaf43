import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// The cluster's RBAC objects in memory, for authorization decisions without a store read: `follow` lists and
/// watches roles, cluster roles and both kinds of bindings (through informers on the registry, so a change by any
/// server of the cluster shows up), and `policy` hands out the current index.
public final class RBACIndex: Sendable {
    private let state = Mutex(RBACPolicy())
    private let synced = Latch()
    /// Whether someone follows (or is about to follow) the RBAC objects: only then is there a sync to wait for.
    private let followed = Mutex(false)

    public init() {}

    /// The index as it is now; a copy, evaluated without locks.
    public var policy: RBACPolicy { state.withLock { $0 } }

    /// Whether the first full list of every RBAC resource is in.
    public var hasSynced: Bool { synced.isOpen }

    /// Returns once the first full list is in.
    public func waitUntilSynced() async { await synced.wait() }

    /// Says that `follow` is about to run, so that in-process callers starting at the same time wait for the first
    /// list instead of being refused by an empty index (the server calls it before starting its services).
    public func expectFollower() { followed.withLock { $0 = true } }

    /// Waits for the first list if someone follows the objects; returns at once otherwise (a registry nobody
    /// indexes, as in tests, authorizes from what it has).
    func waitIfFollowed() async {
        guard !synced.isOpen, followed.withLock({ $0 }) else { return }
        await synced.wait()
    }

    func apply(_ kind: RBACPolicy.Kind, _ event: ClusterEvent) {
        apply(kind, object: event.object, deleted: event.kind == .deleted)
    }

    /// Records one object (what `follow` does for each event; benchmarks and tests feed it directly).
    public func apply(_ kind: RBACPolicy.Kind, object: JSON, deleted: Bool) {
        state.withLock { $0.apply(kind, object: object, deleted: deleted) }
    }

    /// Keeps the index current until cancelled. `api` must read every RBAC object (the server's own admin view).
    public func follow(api: any ClusterAPI, logger: Logger) async {
        expectFollower()
        let informers = RBACPolicy.Kind.allCases.compactMap { kind -> (RBACPolicy.Kind, Informer)? in
            guard let type = api.resources.lookup(group: RBACStrategy.group, version: "v1", resource: kind.rawValue)
            else { return nil }
            return (kind, Informer(api: api, type: type, logger: logger))
        }
        await withDiscardingTaskGroup { group in
            for (kind, informer) in informers {
                group.addTask { await informer.run { event in self.apply(kind, event) } }
            }
            group.addTask {
                for (_, informer) in informers { await informer.waitUntilSynced() }
                // An informer opens before its list's events reach handlers: take the list from its cache (the
                // events that follow apply the same objects again, which changes nothing).
                for (kind, informer) in informers {
                    for object in informer.objects { self.apply(kind, ClusterEvent(kind: .added, object: object)) }
                }
                self.synced.open()
                let counts = self.policy.counts
                logger.debug(
                    "RBAC index synced",
                    metadata: [
                        "roles": "\(counts.roles)", "clusterRoles": "\(counts.clusterRoles)",
                        "bindings": "\(counts.bindings)",
                    ])
            }
        }
    }
}
