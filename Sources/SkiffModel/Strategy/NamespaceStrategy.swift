/// Namespaces: DNS-1123 label names, no generation, the `kubernetes` finalizer in `spec.finalizers` (which holds
/// their deletion until the namespace finalizer has emptied them), `status.phase` Active → Terminating, and the
/// `finalize` subresource that alone may change `spec.finalizers` of a terminating namespace.
public struct NamespaceStrategy: ResourceStrategy {
    public init() {}

    public var tracksGeneration: Bool { false }

    public func validateName(_ name: String, type: ResourceType) throws(APIError) {
        try NameRules.check(name, NameValidation.labelErrors, type: type)
    }

    public func applyDefaults(_ object: inout JSON) {
        if object["spec"]["finalizers"].isNull { object["spec"]["finalizers"] = ["kubernetes"] }
        if object["status"]["phase"].isNull { object["status"]["phase"] = "Active" }
    }

    public func updatedObject(live: JSON, desired: JSON, subresource: String?, type: ResourceType) -> JSON {
        guard subresource == "finalize" else {
            return UpdateScope.standard(live: live, desired: desired, subresource: subresource, type: type)
        }
        var next = live
        next["spec"]["finalizers"] = desired["spec"]["finalizers"]
        return next
    }

    public func deletionFinalizers(_ object: JSON) -> [String] { Self.finalizers(of: object) }

    public func prepareForDeletion(_ object: inout JSON) { object["status"]["phase"] = "Terminating" }

    /// A namespace's `spec.finalizers`.
    public static func finalizers(of namespace: JSON) -> [String] {
        namespace["spec"]["finalizers"].arrayValue?.compactMap(\.stringValue) ?? []
    }
}
