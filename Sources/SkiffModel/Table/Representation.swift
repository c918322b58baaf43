/// What a read or write response carries, as the `Accept` header asks: the object itself, a `meta.k8s.io` Table, or
/// only the object's metadata (`PartialObjectMetadata`, what client-go's metadata informers and clients ask for).
public enum Representation: Sendable, Hashable {
    case object
    case table(TableVersion)
    /// One object's metadata (get, watch events, write responses).
    case partialObjectMetadata(TableVersion)
    /// A list's items' metadata.
    case partialObjectMetadataList(TableVersion)

    /// Walks the ranges in preference order: a JSON range without `as` means the object itself; one with
    /// `as=Table|PartialObjectMetadata|PartialObjectMetadataList;g=meta.k8s.io;v=v1|v1beta1` that representation.
    /// Ranges asking for anything else, or for non-JSON media types (protobuf is not served), are passed over.
    /// client-go's metadata client sends `…protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,
    /// application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`.
    public static func negotiate(accept: String?) -> Representation {
        for range in MediaRange.parseAccept(accept) where range.acceptsJSON {
            guard let representation = range.representation else { return .object }
            guard range.group == "meta.k8s.io", let version = range.version.flatMap(TableVersion.init(rawValue:))
            else { continue }
            switch representation {
            case "Table": return .table(version)
            case "PartialObjectMetadata": return .partialObjectMetadata(version)
            case "PartialObjectMetadataList": return .partialObjectMetadataList(version)
            default: continue
            }
        }
        return .object
    }

    /// `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{…}}` of an object (with its whole
    /// metadata, managedFields included, as upstream's `meta.AsPartialObjectMetadata`).
    public static func partialObjectMetadata(of object: JSON, version: TableVersion) -> JSON {
        [
            "kind": "PartialObjectMetadata", "apiVersion": .string(version.apiVersion),
            "metadata": object["metadata"].objectValue.map(JSON.object) ?? .emptyObject,
        ]
    }

    /// A `PartialObjectMetadataList` of objects, keeping the list's resourceVersion and continue token.
    public static func partialObjectMetadataList(
        of objects: [JSON], version: TableVersion, resourceVersion: String, continueToken: String?
    ) -> JSON {
        var metadata: JSON = ["resourceVersion": .string(resourceVersion)]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        return [
            "kind": "PartialObjectMetadataList", "apiVersion": .string(version.apiVersion), "metadata": metadata,
            "items": .array(objects.map { partialObjectMetadata(of: $0, version: version) }),
        ]
    }
}
