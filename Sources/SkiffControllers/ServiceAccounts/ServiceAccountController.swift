import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Ensures every active namespace has a `default` ServiceAccount (clients wait for it after creating a namespace).
public struct ServiceAccountController: Service {
    let api: any ClusterAPI
    let logger: Logger

    public init(api: any ClusterAPI, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    public func run() async throws {
        let namespaces = Informer(api: api, type: api.type("", "v1", "namespaces"), logger: logger)
        let accounts = api.type("", "v1", "serviceaccounts")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await namespaces.run { event in
                    guard event.kind != .deleted, event.object.deletionTimestamp == nil, let namespace = event.object.name else { return }
                    await ensureDefault(in: namespace, accounts: accounts)
                }
            }
            group.addTask {
                // A deleted `default` account comes back, as upstream's controller recreates it.
                let informer = Informer(api: api, type: accounts, options: ListOptions(fieldSelector: "metadata.name=default"), logger: logger)
                await informer.run { event in
                    guard event.kind == .deleted, let namespace = event.object.namespace,
                        namespaces.get(namespace)?.deletionTimestamp == nil, namespaces.get(namespace) != nil
                    else { return }
                    await ensureDefault(in: namespace, accounts: accounts)
                }
            }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }

    func ensureDefault(in namespace: String, accounts: ResourceType) async {
        do {
            _ = try await api.create(
                accounts, namespace: namespace, object: ["metadata": ["name": "default"]], fieldManager: "serviceaccount-controller")
        } catch {
            if error.reason != "AlreadyExists", error.code != 403 {
                logger.warning("default service account not created", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
            }
        }
    }
}
