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

    public init() {}

    /// The index as it is now; a copy, evaluated without locks.
    public var policy: RBACPolicy { state.withLock { $0 } }

    /// Whether the first full list of every RBAC resource is in.
    public var hasSynced: Bool { synced.isOpen }

    /// Returns once the first full list is in.
    public func waitUntilSynced() async { await synced.wait() }

    func apply(_ kind: RBACPolicy.Kind, _ event: ClusterEvent) {
        state.withLock { $0.apply(kind, object: event.object, deleted: event.kind == .deleted) }
    }

    /// Keeps the index current until cancelled. `api` must read every RBAC object (the server's own admin view).
    public func follow(api: any ClusterAPI, logger: Logger) async {
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
