/// A resource within its group, version left out (`deployments.apps`): the key of per-resource tables, as upstream's
/// `schema.GroupResource`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core (legacy) group.
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

extension ResourceType {
    /// The type's group and resource, its key in per-resource tables.
    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
}
