import SkiffModel

/// Pods built from a controller's pod template (upstream `controller.GetPodFromTemplate`).
public enum WorkloadPodTemplate {
    /// A new Pod from `template`: its labels, annotations and finalizers, `generateName` `<owner>-` (unless
    /// `name` is given), the owner's namespace and a controller reference to it, and a copy of the template spec.
    public static func pod(
        from template: JSON, owner: JSON, ownerResource: WorkloadResource, name: String? = nil
    ) -> JSON {
        var metadata: JSON = [:]
        if let name {
            metadata["name"] = .string(name)
        } else {
            metadata["generateName"] = .string(generateNamePrefix(for: owner.name ?? ""))
        }
        metadata["namespace"] = .string(owner.namespace ?? "default")
        for key in ["labels", "annotations"] {
            if let map = template["metadata"][key].objectValue, !map.isEmpty { metadata[key] = .object(map) }
        }
        if let finalizers = template["metadata"]["finalizers"].arrayValue, !finalizers.isEmpty {
            metadata["finalizers"] = .array(finalizers)
        }
        metadata["ownerReferences"] = [WorkloadReference.controllerRef(to: owner, as: ownerResource)]
        var pod: JSON = ["apiVersion": "v1", "kind": "Pod", "metadata": metadata]
        pod["spec"] = template["spec"].isNull ? .emptyObject : template["spec"]
        return pod
    }

    /// Upstream `getPodsPrefix`: `<name>-`, or the bare name when the dash would make an invalid prefix.
    static func generateNamePrefix(for ownerName: String) -> String {
        // The server truncates a generateName prefix to 58 characters before adding 5 random ones, so any valid
        // owner name works with the dash appended.
        ownerName + "-"
    }

    /// Sets `value` for `key` in the labels of a template or object (`metadata.labels`).
    static func setLabel(_ key: String, _ value: String, in object: inout JSON) {
        object["metadata"]["labels"][key] = .string(value)
    }
}
