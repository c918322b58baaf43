import SkiffModel

/// Collects the actions of one reconcile so that each object is written at most once: a later update of an object
/// already created or updated in the same reconcile replaces the earlier write in place (its `resourceVersion`
/// would otherwise be stale by the time the second write ran).
struct WorkloadWrites {
    private(set) var actions: [WorkloadAction] = []
    private var positions: [String: Int] = [:]

    private static func key(_ resource: WorkloadResource, _ object: JSON) -> String {
        "\(resource.rawValue)/\(object.namespace ?? "")/\(object.name ?? object["metadata"]["generateName"].stringValue ?? "")"
    }

    mutating func create(_ resource: WorkloadResource, _ object: JSON) {
        let key = Self.key(resource, object)
        if object.name != nil { positions[key] = actions.count }
        actions.append(.create(resource: resource, namespace: object.namespace ?? "default", object: object))
    }

    mutating func update(_ resource: WorkloadResource, _ object: JSON) {
        let key = Self.key(resource, object)
        if let position = positions[key] {
            switch actions[position] {
            case .create(let resource, let namespace, _):
                actions[position] = .create(resource: resource, namespace: namespace, object: object)
            default:
                actions[position] = .update(resource: resource, object: object)
            }
            return
        }
        positions[key] = actions.count
        actions.append(.update(resource: resource, object: object))
    }

    mutating func append(_ action: WorkloadAction) {
        if case .update(let resource, let object) = action {
            update(resource, object)
        } else {
            actions.append(action)
        }
    }

    mutating func append(contentsOf actions: [WorkloadAction]) {
        for action in actions { append(action) }
    }

    mutating func delete(
        _ resource: WorkloadResource, _ object: JSON, propagationPolicy: String? = nil
    ) {
        actions.append(
            .delete(
                resource: resource, namespace: object.namespace ?? "default", name: object.name ?? "",
                preconditionUID: object.uid, propagationPolicy: propagationPolicy))
    }

    mutating func event(_ object: JSON, _ type: String = "Normal", _ reason: String, _ message: String) {
        actions.append(.event(WorkloadEvent(about: object, type: type, reason: reason, message: message)))
    }

    mutating func updateStatus(_ resource: WorkloadResource, _ object: JSON) {
        actions.append(.updateStatus(resource: resource, object: object))
    }
}
