import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Keeps the `kube-dns` Service in `kube-system` on the cluster DNS address, so that tools which look for the
/// cluster's DNS by that name (`kubectl cluster-info`, charts, `dig kube-dns.kube-system.svc.cluster.local`) find
/// it. The answers come from every agent itself, on that address, so the Service has no selector and no endpoints,
/// and the service proxies leave its address alone. A deleted Service comes back; one changed by hand is left as it
/// is.
public struct ClusterDNSServiceReconciler: Service {
    static let namespace = "kube-system"
    static let name = "kube-dns"
    static let key = "kube-system/kube-dns"
    static let fieldManager = "skiff-server"

    let api: any ClusterAPI
    let clusterIP: String
    let logger: Logger

    public init(api: any ClusterAPI, clusterIP: String, logger: Logger) {
        self.api = api
        self.clusterIP = clusterIP
        self.logger = logger
    }

    /// The Service as k3s' CoreDNS manifest labels it, ports named as upstream's.
    static func service(clusterIP: String) -> JSON {
        [
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": [
                    "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS",
                ],
                "annotations": ["skiff.io/served-by": "every agent, on the cluster DNS address"],
            ],
            "spec": [
                "type": "ClusterIP", "clusterIP": .string(clusterIP), "clusterIPs": [.string(clusterIP)],
                "ports": [
                    ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                    ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                ],
            ],
        ]
    }

    public func run() async throws {
        let servicesType = api.type("", "v1", "services")
        let services = Informer(
            api: api, type: servicesType, namespace: Self.namespace,
            options: ListOptions(fieldSelector: "metadata.name=\(Self.name)"), logger: logger)
        let controller = Controller(
            Controller.Configuration(name: "kube-dns-service"),
            watches: [Controller.Watch(services) { _, queue in queue.add(Self.key) }],
            resyncKeys: { [Self.key] }, logger: logger
        ) { _, _ in
            guard services.get(Self.key) == nil else { return .done }
            do throws(APIError) {
                _ = try await api.create(
                    servicesType, namespace: Self.namespace, object: Self.service(clusterIP: clusterIP),
                    fieldManager: Self.fieldManager)
                logger.info("kube-dns Service created", metadata: ["clusterIP": "\(clusterIP)"])
            } catch {
                guard error.reason == "AlreadyExists" else { throw error }
            }
            return .done
        }
        // The queue holds the key until the informer's first list: a missing Service is created then.
        controller.queue.add(Self.key)
        try await controller.run()
    }
}
