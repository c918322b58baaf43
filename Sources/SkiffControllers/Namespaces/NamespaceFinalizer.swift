import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Empties terminating namespaces and then finalizes them (the `kubernetes` finalizer), so `kubectl delete ns`
/// removes everything inside and returns once the namespace is gone. Contents with finalizers of their own go away
/// later: a namespace that is not empty yet is looked at again every `recheck`.
public struct NamespaceFinalizer: Service {
    static let finalizer = "kubernetes"
    static let fieldManager = "namespace-controller"

    let api: any ClusterAPI
    let recheck: Duration
    let clock: ServiceClock
    let logger: Logger

    public init(
        api: any ClusterAPI, recheck: Duration = .seconds(2), clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.api = api
        self.recheck = recheck
        self.clock = clock
        self.logger = logger
    }

    /// Whether `namespace` waits for this controller: terminating, with the `kubernetes` finalizer.
    static func needsFinalizing(_ namespace: JSON) -> Bool {
        namespace.deletionTimestamp != nil && finalizers(of: namespace).contains(finalizer)
    }

    static func finalizers(of namespace: JSON) -> [String] {
        namespace["spec"]["finalizers"].arrayValue?.compactMap(\.stringValue) ?? []
    }

    public func run() async throws {
        let namespaceType = api.type("", "v1", "namespaces")
        let namespaces = Informer(api: api, type: namespaceType, clock: clock, logger: logger)
        let watch = Controller.Watch(namespaces) { event, queue in
            if event.kind != .deleted, Self.needsFinalizing(event.object), let name = event.object.name {
                queue.add(name)
            }
        }
        let controller = Controller(
            Controller.Configuration(name: "namespace-controller", clock: clock), watches: [watch], logger: logger
        ) { name, _ in
            guard let namespace = namespaces.get(name), Self.needsFinalizing(namespace) else { return .done }
            return try await finalize(name, type: namespaceType)
        }
        try await controller.run()
    }

    /// Deletes what is left in the namespace; once nothing is, removes the finalizer.
    func finalize(_ name: String, type namespaceType: ResourceType) async throws(APIError) -> Controller.Result {
        let types = api.resources.types.filter(\.namespaced)
        for type in types where type.supports("delete") {
            for object in try await api.list(type, namespace: name, options: ListOptions()).items {
                guard object.deletionTimestamp == nil, let objectName = object.name else { continue }
                do {
                    try await api.delete(type, namespace: name, name: objectName, options: .emptyObject)
                } catch  where error.code == 404 || error.code == 409 {
                    // Gone or changed meanwhile: the next pass sees it.
                }
            }
        }
        for type in types where type.supports("list") {
            if try await !api.list(type, namespace: name, options: ListOptions(limit: 1)).items.isEmpty {
                return Controller.Result(requeueAfter: recheck)
            }
        }
        var live = try await api.get(namespaceType, namespace: nil, name: name)
        guard Self.needsFinalizing(live) else { return .done }
        live["spec"]["finalizers"] = .array(Self.finalizers(of: live).filter { $0 != Self.finalizer }.map(JSON.string))
        _ = try await api.update(
            namespaceType, namespace: nil, object: live, subresource: "finalize", fieldManager: Self.fieldManager)
        logger.info("namespace finalized", metadata: ["namespace": "\(name)"])
        return .done
    }
}
