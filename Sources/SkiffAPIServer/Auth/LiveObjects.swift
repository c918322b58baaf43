import Logging
import SkiffClient
import SkiffModel

/// The uids of the objects service account tokens are checked against — ServiceAccounts, and the pods and secrets
/// tokens are bound to — followed by watch and kept as names and uids only, so the check costs no store read
/// (upstream's token authenticator reads the same from its informers). A name the index does not hold (not synced
/// yet, or created a moment ago) is read from the store.
final class LiveObjects: Sendable {
    static let resources = ["serviceaccounts", "pods", "secrets"]

    private let informers: [String: Informer]

    init(api: any ClusterAPI, logger: Logger) {
        var informers: [String: Informer] = [:]
        for resource in Self.resources {
            guard let type = api.resources.lookup(group: "", version: "v1", resource: resource) else { continue }
            informers[resource] = Informer(api: api, type: type, transform: Self.identity, logger: logger)
        }
        self.informers = informers
    }

    /// Name, namespace and uid: all the check needs.
    @Sendable static func identity(_ object: JSON) -> JSON {
        var metadata: JSON = ["name": object["metadata"]["name"], "uid": object["metadata"]["uid"]]
        if !object["metadata"]["namespace"].isNull { metadata["namespace"] = object["metadata"]["namespace"] }
        return ["metadata": metadata]
    }

    /// The uid the index holds, or nil when it holds none.
    func uid(_ resource: String, namespace: String, name: String) -> String? {
        guard let informer = informers[resource], informer.hasSynced else { return nil }
        return informer.get("\(namespace)/\(name)")?.uid
    }

    /// Keeps the index current until cancelled.
    func follow() async {
        await withDiscardingTaskGroup { group in
            for informer in informers.values { group.addTask { await informer.run { _ in } } }
        }
    }
}
