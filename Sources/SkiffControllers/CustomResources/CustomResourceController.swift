import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel
import Synchronization

/// Serves custom resources: whenever the `CustomResourceDefinition`s change, the API server is told to serve the
/// resource types they define (`serve`), a definition's status then reports `NamesAccepted` and `Established`, and
/// a deleted definition's stored instances are removed (`removeInstances`) so a later definition of the same name
/// starts empty. What serving means is the API server's business: it hands both in.
public struct CustomResourceController: Service {
    /// The API server's side: serve the types of these definitions (all of them, replacing the previous set).
    public typealias Serve = @Sendable (_ definitions: [JSON]) async -> Void
    /// The API server's side: drop the stored instances of a deleted definition.
    public typealias RemoveInstances = @Sendable (_ definition: JSON) async -> Void

    static let fieldManager = "apiextensions-controller"

    let api: any ClusterAPI
    let serve: Serve
    let removeInstances: RemoveInstances
    let clock: ServiceClock
    let logger: Logger

    public init(
        api: any ClusterAPI, clock: ServiceClock = .continuous, logger: Logger, serve: @escaping Serve,
        removeInstances: @escaping RemoveInstances
    ) {
        self.api = api
        self.serve = serve
        self.removeInstances = removeInstances
        self.clock = clock
        self.logger = logger
    }

    /// The status that marks `definition` established at `now`; nil when it is already, or is being deleted.
    static func establishedStatus(of definition: JSON, now: String) -> JSON? {
        guard definition.deletionTimestamp == nil else { return nil }
        let conditions = definition["status"]["conditions"].arrayValue ?? []
        if conditions.contains(where: { $0["type"] == "Established" && $0["status"] == "True" }) { return nil }
        var status = definition["status"].isNull ? JSON.emptyObject : definition["status"]
        status["conditions"] = [
            [
                "type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found",
                "lastTransitionTime": .string(now),
            ],
            [
                "type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted", "lastTransitionTime": .string(now),
            ],
        ]
        status["acceptedNames"] = definition["spec"]["names"]
        let storage = (definition["spec"]["versions"].arrayValue ?? []).first { $0["storage"].boolValue == true }
        status["storedVersions"] = .array([storage?["name"] ?? .null].filter { !$0.isNull })
        return status
    }

    public func run() async throws {
        let definitionType = api.type("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        let definitions = Informer(api: api, type: definitionType, clock: clock, logger: logger)
        let deleted = Mutex<[String: JSON]>([:])
        let watch = Controller.Watch(definitions) { event, queue in
            guard let name = event.object.name else { return }
            if event.kind == .deleted { deleted.withLock { $0[name] = event.object } }
            queue.add(name)
        }
        let controller = Controller(
            Controller.Configuration(name: "apiextensions-controller", clock: clock), watches: [watch], logger: logger
        ) { name, _ in
            await serve(definitions.objects)
            if let gone = deleted.withLock({ $0.removeValue(forKey: name) }), definitions.get(name) == nil {
                await removeInstances(gone)
            }
            guard let definition = definitions.get(name),
                let status = Self.establishedStatus(of: definition, now: KubeTimestamp.string(.now))
            else { return .done }
            var updated = definition
            updated["status"] = status
            // Written whatever changed meanwhile: the status is derived from the spec alone.
            _ = updated.removeValue(at: "metadata", "resourceVersion")
            _ = try await api.update(
                definitionType, namespace: nil, object: updated, subresource: "status", fieldManager: Self.fieldManager)
            logger.info("custom resource established", metadata: ["crd": "\(name)"])
            return .done
        }
        try await controller.run()
    }
}
