/// One `metadata.managedFields` entry: which fields a manager owns, through which operation.
public struct ManagedFieldsEntry: Sendable, Hashable {
    public static func == (a: Self, b: Self) -> Bool {
        a.manager == b.manager && a.operation == b.operation && a.apiVersion == b.apiVersion && a.time == b.time
            && a.fields == b.fields && a.subresource == b.subresource
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(manager)
        hasher.combine(operation)
        hasher.combine(apiVersion)
        hasher.combine(time)
        hasher.combine(fields)
        hasher.combine(subresource)
    }

    /// How the manager last wrote.
    public enum Operation: String, Sendable, Hashable {
        /// Server-side apply.
        case apply = "Apply"
        /// Create, update or a non-apply patch.
        case update = "Update"
    }

    /// The field manager name (`kubectl`, `kubectl-client-side-apply`, `kube-controller-manager`).
    public var manager: String
    /// Apply or Update.
    public var operation: Operation
    /// The API version the fields were written in.
    public var apiVersion: String
    /// RFC 3339 time of the last change to this entry's fields.
    public var time: String?
    /// The owned fields.
    public var fields: FieldSet {
        didSet { encodedFields = nil }
    }
    /// The `fieldsV1` this entry was decoded from while `fields` is unchanged: most writes leave most entries alone,
    /// and re-encoding every entry on every write cost more than the rest of the bookkeeping.
    private var encodedFields: JSON?
    /// `status` or `scale` when written through a subresource.
    public var subresource: String?

    /// An entry.
    public init(
        manager: String, operation: Operation, apiVersion: String, time: String?, fields: FieldSet,
        subresource: String? = nil
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fields = fields
        self.subresource = subresource
    }

    /// Decodes one entry; only `fieldsType: FieldsV1` is understood.
    public init(json: JSON) throws(PatchError) {
        guard case .object = json else { throw .invalid("managedFields entries must be objects") }
        guard let operation = json["operation"].stringValue.flatMap(Operation.init(rawValue:)) else {
            throw .invalid("managedFields operation must be Apply or Update")
        }
        guard json["fieldsType"].stringValue ?? "FieldsV1" == "FieldsV1" else {
            throw .invalid("managedFields fieldsType must be FieldsV1")
        }
        manager = json["manager"].stringValue ?? ""
        self.operation = operation
        apiVersion = json["apiVersion"].stringValue ?? ""
        time = json["time"].stringValue
        fields = json["fieldsV1"].isNull ? FieldSet() : try FieldSet(fieldsV1: json["fieldsV1"])
        encodedFields = json["fieldsV1"].isNull ? nil : json["fieldsV1"]
        subresource = json["subresource"].stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The entry in upstream's field order.
    public var json: JSON {
        var object: JSONObject = ["manager": .string(manager), "operation": .string(operation.rawValue)]
        object["apiVersion"] = .string(apiVersion)
        if let time { object["time"] = .string(time) }
        object["fieldsType"] = "FieldsV1"
        object["fieldsV1"] = encodedFields ?? fields.fieldsV1
        if let subresource { object["subresource"] = .string(subresource) }
        return .object(object)
    }

    /// Who this entry belongs to: appliers are one manager whatever the version, updaters one per version.
    var identity: Identity {
        Identity(
            manager: manager, operation: operation, apiVersion: operation == .apply ? "" : apiVersion,
            subresource: subresource ?? "")
    }

    /// How upstream names the manager in conflict messages: `"kubectl"`, `"m" using apps/v1`.
    var conflictName: String {
        var name = LabelValidation.goQuote(manager)
        if let subresource { name += " with subresource \(LabelValidation.goQuote(subresource))" }
        if operation == .update { name += " using \(apiVersion)" }
        return name
    }

    /// The manager identifier (upstream `BuildManagerIdentifier`, without time and fields).
    struct Identity: Hashable, Comparable {
        var manager: String
        var operation: Operation
        var apiVersion: String
        var subresource: String

        static func < (a: Identity, b: Identity) -> Bool {
            (a.manager, a.operation.rawValue, a.apiVersion, a.subresource)
                < (b.manager, b.operation.rawValue, b.apiVersion, b.subresource)
        }
    }
}

extension ManagedFieldsEntry {
    /// The entries of an object's `metadata.managedFields`; malformed entries are dropped (upstream resets
    /// undecodable managed fields rather than failing the write).
    public static func entries(of object: JSON) -> [ManagedFieldsEntry] {
        guard let list = object["metadata"]["managedFields"].arrayValue else { return [] }
        return list.compactMap { try? ManagedFieldsEntry(json: $0) }
    }

    /// Upstream's order: by operation (Apply first), time, manager, apiVersion, subresource.
    static func sorted(_ entries: [ManagedFieldsEntry]) -> [ManagedFieldsEntry] {
        entries.sorted { p, q in
            if p.operation != q.operation { return p.operation.rawValue < q.operation.rawValue }
            if (p.time ?? "") != (q.time ?? "") { return (p.time ?? "") < (q.time ?? "") }
            if p.manager != q.manager { return p.manager < q.manager }
            if p.apiVersion != q.apiVersion { return p.apiVersion < q.apiVersion }
            return (p.subresource ?? "") < (q.subresource ?? "")
        }
    }
}
