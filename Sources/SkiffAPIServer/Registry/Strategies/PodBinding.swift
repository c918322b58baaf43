import SkiffModel

extension ObjectRegistry {
    /// `pods/binding`: assigns an unassigned pod to a node and marks it scheduled.
    public func bind(
        _ type: ResourceType, namespace: String?, name: String, binding: JSON, options: WriteOptions = WriteOptions()
    ) async throws(APIError) {
        guard let node = binding["target"]["name"].stringValue, !node.isEmpty else {
            throw APIError.invalid(
                type, name, [.init(type: "FieldValueRequired", message: "Required value", field: "target.name")])
        }
        let time = KubeTimestamp.string(now())
        _ = try await update(type, namespace: namespace, name: name, subresource: "binding", options: options) {
            live throws(APIError) in
            guard var pod = live else { throw APIError.notFound(type, name) }
            if let assigned = pod["spec"]["nodeName"].stringValue, !assigned.isEmpty {
                throw APIError.conflict(type, name, "pod \(name) is already assigned to node \"\(assigned)\"")
            }
            if pod.deletionTimestamp != nil {
                throw APIError.conflict(type, name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            pod["spec"]["nodeName"] = .string(node)
            PodConditions.set(&pod, type: "PodScheduled", status: "True", at: time)
            _ = pod.removeValue(at: "metadata", "resourceVersion")
            return pod
        }
    }
}
