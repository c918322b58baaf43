import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Publishes the cluster CA as the `kube-root-ca.crt` ConfigMap (key `ca.crt`) in every active namespace and keeps it
/// current, as upstream's root-ca-cert-publisher: a deleted or edited copy is put back. Pods' projected ServiceAccount
/// volumes mount it to verify the API server.
public struct RootCAPublisher: Service {
    public static let name = "kube-root-ca.crt"
    public static let description =
        "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as "
        + "the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of "
        + "Kubernetes clusters."

    let api: any ClusterAPI
    let caPEM: String
    let workers: Int
    let logger: Logger

    public init(api: any ClusterAPI, caPEM: String, workers: Int = 1, logger: Logger) {
        self.api = api
        self.caPEM = caPEM
        self.workers = workers
        self.logger = logger
    }

    /// What to do about one namespace's copy (pure).
    public enum Action: Equatable, Sendable {
        case create(JSON)
        case update(JSON)
    }

    /// The action that makes `current` (nil: missing) hold `caPEM` in an active namespace; nil when nothing is to
    /// be done. Other data, labels and annotations someone added are left alone, as upstream.
    public static func reconcile(namespace: JSON?, current: JSON?, caPEM: String) -> Action? {
        guard let namespace, namespace.deletionTimestamp == nil, let name = namespace.name else { return nil }
        guard var current else {
            return .create([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": [
                    "name": .string(Self.name), "namespace": .string(name),
                    "annotations": ["kubernetes.io/description": .string(description)],
                ],
                "data": ["ca.crt": .string(caPEM)],
            ])
        }
        guard current.deletionTimestamp == nil,
            current["data"]["ca.crt"].stringValue != caPEM
                || current["data"].objectValue?.count != 1
        else { return nil }
        // Upstream keeps only ca.crt in data.
        current["data"] = ["ca.crt": .string(caPEM)]
        _ = current.removeValue(forKey: "binaryData")
        return .update(current)
    }

    public func run() async throws {
        let namespaces = Informer(api: api, type: api.type("", "v1", "namespaces"), logger: logger)
        let configMapType = api.type("", "v1", "configmaps")
        let configMaps = Informer(
            api: api, type: configMapType, options: ListOptions(fieldSelector: "metadata.name=\(Self.name)"),
            logger: logger)
        let watches = [
            Controller.Watch(namespaces) { event, queue in
                if event.kind != .deleted, let name = event.object.name { queue.add(name) }
            },
            Controller.Watch(configMaps) { event, queue in
                if let namespace = event.object.namespace { queue.add(namespace) }
            },
        ]
        let controller = Controller(
            Controller.Configuration(name: "root-ca-cert-publisher", workers: workers), watches: watches, logger: logger
        ) { namespace, _ in
            let action = Self.reconcile(
                namespace: namespaces.get(namespace), current: configMaps.get("\(namespace)/\(Self.name)"), caPEM: caPEM
            )
            guard let action else { return .done }
            do throws(APIError) {
                switch action {
                case .create(let object):
                    _ = try await api.create(
                        configMapType, namespace: namespace, object: object, fieldManager: "root-ca-cert-publisher")
                case .update(let object):
                    _ = try await api.update(
                        configMapType, namespace: namespace, object: object, subresource: nil,
                        fieldManager: "root-ca-cert-publisher")
                }
            } catch {
                // A conflict or AlreadyExists comes back as an informer event; a namespace being deleted refuses
                // creates (403) and needs nothing. Anything else is retried.
                if ![403, 404, 409].contains(error.code) { throw error }
            }
            return .done
        }
        try await controller.run()
    }
}
