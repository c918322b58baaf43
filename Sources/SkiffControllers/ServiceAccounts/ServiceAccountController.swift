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
        let defaults = Informer(
            api: api, type: accounts, options: ListOptions(fieldSelector: "metadata.name=default"), logger: logger)
        let watches = [
            Controller.Watch(namespaces) { event, queue in
                if event.kind != .deleted, let namespace = event.object.name { queue.add(namespace) }
            },
            // A deleted `default` account comes back, as upstream's controller recreates it.
            Controller.Watch(defaults) { event, queue in
                if event.kind == .deleted, let namespace = event.object.namespace { queue.add(namespace) }
            },
        ]
        let controller = Controller(
            Controller.Configuration(name: "serviceaccount-controller"), watches: watches, logger: logger
        ) { namespace, _ in
            guard let object = namespaces.get(namespace), object.deletionTimestamp == nil,
                defaults.get("\(namespace)/default") == nil
            else { return .done }
            try await ensureDefault(in: namespace, accounts: accounts)
            return .done
        }
        try await controller.run()
    }

    /// Creates the account; one that exists already, or a namespace being deleted (403), needs nothing.
    func ensureDefault(in namespace: String, accounts: ResourceType) async throws(APIError) {
        do {
            _ = try await api.create(
                accounts, namespace: namespace, object: ["metadata": ["name": "default"]],
                fieldManager: "serviceaccount-controller")
        } catch {
            if error.reason != "AlreadyExists", error.code != 403 { throw error }
        }
    }
}
