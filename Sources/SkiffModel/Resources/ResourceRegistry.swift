/// Looks resource types up by URL coordinates and lists groups for discovery. Immutable: serving CRDs builds a new
/// registry with `adding(_:)`.
public struct ResourceRegistry: Sendable {
    public struct GroupVersion: Sendable, Hashable {
        public var group: String
        public var version: String

        public init(group: String, version: String) {
            self.group = group
            self.version = version
        }

        public var string: String { group.isEmpty ? version : "\(group)/\(version)" }
    }

    public private(set) var types: [ResourceType]
    private var byCoordinates: [String: Int]

    public init(_ types: [ResourceType] = BuiltinResources.all) {
        self.types = []
        self.byCoordinates = [:]
        for type in types { insert(type) }
    }

    private mutating func insert(_ type: ResourceType) {
        let key = Self.key(type.group, type.version, type.resource)
        if let index = byCoordinates[key] {
            types[index] = type
        } else {
            byCoordinates[key] = types.count
            types.append(type)
        }
    }

    private static func key(_ group: String, _ version: String, _ resource: String) -> String {
        "\(group)/\(version)/\(resource)"
    }

    /// A registry that also serves `extra` (e.g. custom resources), replacing same-named entries.
    public func adding(_ extra: [ResourceType]) -> ResourceRegistry {
        var copy = self
        for type in extra { copy.insert(type) }
        return copy
    }

    public func lookup(group: String, version: String, resource: String) -> ResourceType? {
        byCoordinates[Self.key(group, version, resource)].map { types[$0] }
    }

    /// The type serving `kind` in `apiVersion`, e.g. for bodies and owner references.
    public func lookup(apiVersion: String, kind: String) -> ResourceType? {
        let (group, version) = Self.split(apiVersion: apiVersion)
        return types.first { $0.group == group && $0.version == version && $0.kind == kind }
    }

    /// `apps/v1` → ("apps", "v1"); `v1` → ("", "v1").
    public static func split(apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.firstIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    /// Every group-version, core first, in registration order.
    public var groupVersions: [GroupVersion] {
        var seen: [GroupVersion] = []
        for type in types {
            let groupVersion = GroupVersion(group: type.group, version: type.version)
            if !seen.contains(groupVersion) { seen.append(groupVersion) }
        }
        return seen
    }

    public func types(in groupVersion: GroupVersion) -> [ResourceType] {
        types.filter { $0.group == groupVersion.group && $0.version == groupVersion.version }
    }
}
