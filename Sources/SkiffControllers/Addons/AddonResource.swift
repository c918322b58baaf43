import SkiffModel

/// `addons.skiff.io`: one object per auto-deploy manifest in `kube-system`, as k3s tracks its manifests with
/// `Addon` objects. `spec` says which file and content (SHA-256) it is; `status` lists the objects applied from it
/// (what is pruned when the file or a document goes) and an `Applied` condition with the last error.
/// `kubectl get addons -n kube-system` shows the file, its checksum and whether it applied.
public enum AddonResource {
    public static let group = "skiff.io"
    public static let version = "v1"
    public static let apiVersion = "skiff.io/v1"
    public static let kind = "Addon"
    /// Put on every applied object: the Addon it came from (`namespace/name`); pruning deletes only objects that
    /// still carry it.
    public static let sourceAnnotation = "skiff.io/addon"

    public static var definition: JSON {
        let schema: JSON = [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object",
                    "properties": ["source": ["type": "string"], "checksum": ["type": "string"]],
                ],
                "status": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            ],
        ]
        let columns: JSON = [
            ["name": "Source", "type": "string", "jsonPath": ".spec.source"],
            ["name": "Checksum", "type": "string", "jsonPath": ".spec.checksum", "priority": 1],
            ["name": "Applied", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Applied\")].status"],
            ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"],
        ]
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": "addons.skiff.io"],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": ["plural": "addons", "singular": "addon", "kind": .string(kind), "listKind": "AddonList"],
                "versions": [
                    [
                        "name": .string(version), "served": true, "storage": true, "subresources": ["status": [:]],
                        "schema": ["openAPIV3Schema": schema], "additionalPrinterColumns": columns,
                    ]
                ],
            ],
        ]
    }

    /// The Addon's apply configuration for a manifest.
    static func addon(name: String, namespace: String, source: String, checksum: String) -> JSON {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind),
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["source": .string(source), "checksum": .string(checksum)],
        ]
    }

    /// `status` after an attempt: the objects now applied, and the `Applied` condition.
    static func status(objects: [AddonObjectReference], applied: Bool, reason: String, message: String, now: String)
        -> JSON
    {
        [
            "objects": .array(objects.map(\.json)),
            "conditions": [
                [
                    "type": "Applied", "status": applied ? "True" : "False", "reason": .string(reason),
                    "message": .string(message), "lastTransitionTime": .string(now),
                ]
            ],
        ]
    }

    /// The objects an Addon's status records as applied.
    public static func appliedObjects(_ addon: JSON) -> [AddonObjectReference] {
        addon["status"]["objects"].arrayValue?.compactMap(AddonObjectReference.init(json:)) ?? []
    }
}
