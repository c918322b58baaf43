import SkiffModel

/// Building and reading object and owner references (upstream `metav1.NewControllerRef`, `GetControllerOf`).
public enum WorkloadReference {
    /// `{apiVersion, kind, namespace, name, uid, resourceVersion}` of an object, as Events and CronJob status use.
    public static func of(_ object: JSON) -> JSON {
        var reference: JSON = [:]
        if let kind = object.kind { reference["kind"] = .string(kind) }
        if let namespace = object.namespace { reference["namespace"] = .string(namespace) }
        if let name = object.name { reference["name"] = .string(name) }
        if let uid = object.uid { reference["uid"] = .string(uid) }
        if let apiVersion = object.apiVersion { reference["apiVersion"] = .string(apiVersion) }
        if let resourceVersion = object.resourceVersion { reference["resourceVersion"] = .string(resourceVersion) }
        return reference
    }

    /// The controller owner reference an owner puts on what it creates: `controller` and `blockOwnerDeletion` true.
    public static func controllerRef(to owner: JSON, as resource: WorkloadResource) -> JSON {
        [
            "apiVersion": .string(resource.apiVersion),
            "kind": .string(resource.kind),
            "name": .string(owner.name ?? ""),
            "uid": .string(owner.uid ?? ""),
            "controller": true,
            "blockOwnerDeletion": true,
        ]
    }

    /// The owner reference marked `controller: true`, if any.
    public static func controllerOf(_ object: JSON) -> JSON? { object.controllerReference }

    /// The uid of the controlling owner, if any.
    public static func controllerUID(of object: JSON) -> String? {
        controllerOf(object)?["uid"].stringValue
    }

    /// Whether `object` is controlled by the owner with this uid.
    public static func isControlled(_ object: JSON, byUID uid: String?) -> Bool {
        guard let uid, let owner = controllerUID(of: object) else { return false }
        return owner == uid
    }

    /// `object` with `reference` appended to its owner references.
    static func adding(_ reference: JSON, to object: JSON) -> JSON {
        var copy = object
        var references = copy["metadata"]["ownerReferences"].arrayValue ?? []
        references.append(reference)
        copy["metadata"]["ownerReferences"] = .array(references)
        return copy
    }

    /// `object` without the owner references to `uid` (the key is dropped when none remain).
    static func removing(ownerUID uid: String, from object: JSON) -> JSON {
        var copy = object
        let references = (copy["metadata"]["ownerReferences"].arrayValue ?? []).filter { $0["uid"].stringValue != uid }
        if references.isEmpty {
            copy["metadata"].removeValue(forKey: "ownerReferences")
        } else {
            copy["metadata"]["ownerReferences"] = .array(references)
        }
        return copy
    }
}
