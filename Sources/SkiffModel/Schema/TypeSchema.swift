/// The shape of one Kubernetes type (e.g. `io.k8s.api.core.v1.PodSpec`): its fields with JSON names, value types,
/// protobuf field numbers and strategic-merge metadata. One table of these drives OpenAPI v3, strategic merge patch,
/// protobuf request decoding, strict field validation and `kubectl explain`.
public struct TypeSchema: Sendable, Hashable {
    /// Fully qualified OpenAPI name, e.g. `io.k8s.api.apps.v1.Deployment`.
    public var name: String
    public var description: String
    public var fields: [FieldSchema]
    public var required: [String]
    /// Set for top-level kinds.
    public var groupVersionKind: GroupVersionKind?
    /// `atomic` or `granular` (`x-kubernetes-map-type` on the type), for server-side apply.
    public var mapType: String?
    /// Nested protobuf messages whose fields JSON flattens into this type (Go `json:",inline"` structs such as
    /// `Volume.volumeSource`): their fields are listed here without protobuf numbers.
    public var protobufEmbedded: [ProtobufEmbedding]
    /// A message that exists only in protobuf (an inlined Go struct); OpenAPI never names it.
    public var isProtobufOnly: Bool

    public init(
        name: String, description: String = "", fields: [FieldSchema], required: [String] = [],
        groupVersionKind: GroupVersionKind? = nil, mapType: String? = nil, protobufEmbedded: [ProtobufEmbedding] = [],
        isProtobufOnly: Bool = false
    ) {
        self.name = name
        self.description = description
        self.fields = fields
        self.required = required
        self.groupVersionKind = groupVersionKind
        self.mapType = mapType
        self.protobufEmbedded = protobufEmbedded
        self.isProtobufOnly = isProtobufOnly
    }

    public func field(_ name: String) -> FieldSchema? { fields.first { $0.name == name } }
    public func field(protobufNumber: Int) -> FieldSchema? { fields.first { $0.protobufNumber == protobufNumber } }
}

/// One field of a `TypeSchema`.
public struct FieldSchema: Sendable, Hashable {
    public var name: String
    public var type: FieldType
    public var description: String
    /// The field number in upstream `generated.proto`, when the field is sent in protobuf bodies.
    public var protobufNumber: Int?
    /// Strategic merge: the key that identifies list elements (`name` for containers, `port` for service ports).
    public var patchMergeKey: String?
    /// Strategic merge: `merge`, `replace`, `retainKeys` or `merge,retainKeys`.
    public var patchStrategy: String?
    /// `atomic`, `set` or `map` (`x-kubernetes-list-type`).
    public var listType: String?
    public var listMapKeys: [String]
    /// `atomic` or `granular` (`x-kubernetes-map-type`).
    public var mapType: String?
    /// A scalar that Go declares as a non-pointer with `omitempty`: its zero value never appears in JSON, so a zero
    /// read from protobuf (where such fields are always written) is left out.
    public var omitsZeroValue: Bool

    public init(
        _ name: String, _ type: FieldType, description: String = "", protobuf: Int? = nil, patchMergeKey: String? = nil,
        patchStrategy: String? = nil, listType: String? = nil, listMapKeys: [String] = [], mapType: String? = nil,
        omitsZeroValue: Bool = false
    ) {
        self.name = name
        self.type = type
        self.description = description
        self.protobufNumber = protobuf
        self.patchMergeKey = patchMergeKey
        self.patchStrategy = patchStrategy
        self.listType = listType
        self.listMapKeys = listMapKeys
        self.mapType = mapType
        self.omitsZeroValue = omitsZeroValue
    }
}

/// The value type of a field.
public indirect enum FieldType: Sendable, Hashable {
    case string
    case bytes  // base64 in JSON, raw bytes in protobuf (Secret data)
    case boolean
    case int32
    case int64
    case double
    /// A `resource.Quantity` ("100m", "1Gi"): a string in JSON and protobuf.
    case quantity
    /// An `intstr.IntOrString`.
    case intOrString
    /// A `metav1.Time` (RFC 3339 seconds in JSON, {seconds, nanos} in protobuf).
    case time
    /// A `metav1.MicroTime`.
    case microTime
    /// Arbitrary JSON (`runtime.RawExtension`, CRD `x-kubernetes-preserve-unknown-fields`).
    case any
    /// A reference to another `TypeSchema` by name.
    case object(String)
    case array(FieldType)
    /// A map with string keys.
    case map(FieldType)
}
