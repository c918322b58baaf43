/// Pods: PodSpec defaults, required containers, the `binding` subresource (the scheduler's write of
/// `spec.nodeName`), and deletes that answer the deleted pod.
public struct PodStrategy: ResourceStrategy {
    public init() {}

    public var returnsDeletedObject: Bool { true }

    public func applyDefaults(_ object: inout JSON) {
        PodDefaults.apply(to: &object["spec"])
        if object["status"]["phase"].isNull { object["status"]["phase"] = "Pending" }
    }

    public func validate(_ object: JSON, type: ResourceType) throws(APIError) {
        var errors = FieldErrors()
        let containers = object["spec"]["containers"].arrayValue ?? []
        errors.require(!containers.isEmpty, "spec.containers")
        for (index, container) in containers.enumerated() {
            errors.require(!(container["name"].stringValue ?? "").isEmpty, "spec.containers[\(index)].name")
            errors.require(!(container["image"].stringValue ?? "").isEmpty, "spec.containers[\(index)].image")
        }
        try errors.check(type, object)
    }

    public func updatedObject(live: JSON, desired: JSON, subresource: String?, type: ResourceType) -> JSON {
        // A binding is computed by the registry from the live pod; it is stored as given.
        if subresource == "binding" { return desired }
        return UpdateScope.standard(live: live, desired: desired, subresource: subresource, type: type)
    }
}
