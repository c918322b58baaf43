import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// ServiceLB, as k3s has it but without its per-Service pods: every Service of `type: LoadBalancer` (and no
/// `loadBalancerClass`, which belongs to another implementation) gets the addresses of the Ready nodes as its ingress,
/// and each agent's service proxy accepts the service port on its own addresses. A Service that is no longer a
/// LoadBalancer loses the ingress it had, as upstream's service controller clears it.
public struct ServiceLoadBalancerController: Service {
    static let fieldManager = "service-lb-controller"

    let api: any ClusterAPI
    let logger: Logger

    public init(api: any ClusterAPI, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    /// The ingress list for the given nodes: each Ready node's ExternalIP, or its InternalIP when it has none, sorted
    /// and without duplicates (as k3s' ServiceLB publishes the nodes its pods run on).
    static func ingress(nodes: [JSON]) -> [String] {
        var addresses = Set<String>()
        for node in nodes where isReady(node) {
            let listed = node["status"]["addresses"].arrayValue ?? []
            let pick = { (type: String) in
                listed.first { $0["type"].stringValue == type }?["address"].stringValue.flatMap {
                    IPv4Network.parseAddress($0) != nil ? $0 : nil
                }
            }
            if let address = pick("ExternalIP") ?? pick("InternalIP") { addresses.insert(address) }
        }
        return addresses.sorted()
    }

    static func isReady(_ node: JSON) -> Bool {
        (node["status"]["conditions"].arrayValue ?? []).contains {
            $0["type"].stringValue == "Ready" && $0["status"].stringValue == "True"
        }
    }

    /// The Service with its ingress brought in line, or nil when it is already right (nothing to write).
    static func updated(_ service: JSON, nodes: [JSON]) -> JSON? {
        let balanced =
            service["spec"]["type"].stringValue == "LoadBalancer"
            && (service["spec"]["loadBalancerClass"].stringValue ?? "").isEmpty
        let current = service["status"]["loadBalancer"]["ingress"].arrayValue ?? []
        let desired: [JSON] = balanced ? ingress(nodes: nodes).map { ["ip": .string($0)] } : []
        if !balanced, current.isEmpty { return nil }
        let currentIPs = current.map { $0["ip"].stringValue ?? "" }
        guard currentIPs != desired.map({ $0["ip"].stringValue ?? "" }) else { return nil }
        var service = service
        if desired.isEmpty {
            service["status"]["loadBalancer"] = [:]
        } else {
            service["status"]["loadBalancer"] = ["ingress": .array(desired)]
        }
        return service
    }

    public func run() async throws {
        let servicesType = api.type("", "v1", "services")
        let services = Informer(api: api, type: servicesType, logger: logger)
        let nodes = Informer(api: api, type: api.type("", "v1", "nodes"), logger: logger)
        let watches = [
            Controller.Watch(services) { event, queue in
                guard event.kind != .deleted else { return }
                queue.add(Informer.key(event.object))
            },
            // A node that comes, goes or changes readiness changes every LoadBalancer's ingress.
            Controller.Watch(nodes) { _, queue in
                for service in services.objects where service["spec"]["type"].stringValue == "LoadBalancer" {
                    queue.add(Informer.key(service))
                }
            },
        ]
        let controller = Controller(
            Controller.Configuration(name: "service-lb-controller"), watches: watches, logger: logger
        ) { key, _ in
            guard let service = services.get(key), let updated = Self.updated(service, nodes: nodes.objects) else {
                return .done
            }
            do throws(APIError) {
                _ = try await api.update(
                    servicesType, namespace: service.namespace, object: updated, subresource: "status",
                    fieldManager: Self.fieldManager)
                logger.debug(
                    "load balancer ingress written",
                    metadata: ["service": "\(key)", "ingress": "\(updated["status"]["loadBalancer"]["ingress"])"])
            } catch {
                // Deleted or changed meanwhile: its event queues it again.
                guard error.code == 404 || error.code == 409 else { throw error }
            }
            return .done
        }
        try await controller.run()
    }
}
