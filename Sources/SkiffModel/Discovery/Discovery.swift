/// The discovery documents served under `/api` and `/apis`, derived from a ``ResourceRegistry``.
///
/// Legacy discovery (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`) is what the Python client and
/// older kubectl use; aggregated discovery (`APIGroupDiscoveryList`, see `Discovery+Aggregated.swift`) lets kubectl
/// learn everything in two requests. Both are built from the same registry so they never disagree.
public enum Discovery {
    /// `Content-Type` of an aggregated discovery v2 response; client-go picks the parser by this exact string.
    public static let aggregatedV2ContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    /// `Content-Type` of an aggregated discovery v2beta1 response (clients before 1.30).
    public static let aggregatedV2Beta1ContentType =
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    /// `Content-Type` of every legacy discovery document.
    public static let legacyContentType = "application/json"

    /// `GET /api`: the core group's versions and the address clients should use.
    public static func apiVersions(serverAddress: String, clientCIDR: String = "0.0.0.0/0") -> JSON {
        // Upstream writes no apiVersion on APIVersions; client-go does not need one.
        [
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                ["clientCIDR": .string(clientCIDR), "serverAddress": .string(serverAddress)]
            ],
        ]
    }

    /// `GET /apis`: every named group with its versions, preferred version first.
    public static func groupList(_ registry: ResourceRegistry) -> JSON {
        let groups = namedGroups(registry).map { apiGroup(name: $0.name, versions: $0.versions, withTypeMeta: false) }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    /// `GET /apis/<group>`: one named group, or nil when the registry serves nothing in it.
    public static func group(_ registry: ResourceRegistry, name: String) -> JSON? {
        guard !name.isEmpty, let group = namedGroups(registry).first(where: { $0.name == name }) else { return nil }
        return apiGroup(name: group.name, versions: group.versions, withTypeMeta: true)
    }

    /// `GET /api/v1` or `GET /apis/<group>/<version>`: the resources of one group-version, or nil when unknown.
    ///
    /// `groupVersion` is `v1` for the core group and `<group>/<version>` otherwise.
    public static func resourceList(_ registry: ResourceRegistry, groupVersion: String) -> JSON? {
        let (group, version) = ResourceRegistry.split(apiVersion: groupVersion)
        return resourceList(registry, groupVersion: ResourceRegistry.GroupVersion(group: group, version: version))
    }

    /// `GET /api/v1` or `GET /apis/<group>/<version>` for an already split group-version; nil when unknown.
    public static func resourceList(_ registry: ResourceRegistry, groupVersion: ResourceRegistry.GroupVersion) -> JSON?
    {
        let types = registry.types(in: groupVersion)
        guard !types.isEmpty else { return nil }
        var entries: [(name: String, entry: JSON)] = []
        for type in types {
            entries.append((type.resource, resourceEntry(type)))
            for subresource in type.subresources {
                entries.append(("\(type.resource)/\(subresource.name)", subresourceEntry(subresource, of: type)))
            }
        }
        // Upstream registers storage paths in sorted order, so subresources follow their parent.
        entries.sort { $0.name < $1.name }
        return [
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": .string(groupVersion.string),
            "resources": .array(entries.map(\.entry)),
        ]
    }

    // MARK: - Pieces

    /// Named groups in registration order, each with its versions ordered by preference.
    static func namedGroups(_ registry: ResourceRegistry) -> [(name: String, versions: [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for groupVersion in registry.groupVersions where !groupVersion.group.isEmpty {
            if versions[groupVersion.group] == nil {
                order.append(groupVersion.group)
                versions[groupVersion.group] = []
            }
            versions[groupVersion.group, default: []].append(groupVersion.version)
        }
        return order.map { ($0, sortedByPreference(versions[$0] ?? [])) }
    }

    private static func apiGroup(name: String, versions: [String], withTypeMeta: Bool) -> JSON {
        func groupVersionForDiscovery(_ version: String) -> JSON {
            ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        }
        var group: JSON = withTypeMeta ? ["kind": "APIGroup", "apiVersion": "v1"] : [:]
        group["name"] = .string(name)
        group["versions"] = .array(versions.map(groupVersionForDiscovery))
        if let preferred = versions.first {
            group["preferredVersion"] = groupVersionForDiscovery(preferred)
        }
        return group
    }

    private static func resourceEntry(_ type: ResourceType) -> JSON {
        var entry: JSON = [
            "name": .string(type.resource),
            "singularName": .string(type.singular),
            "namespaced": .bool(type.namespaced),
            "kind": .string(type.kind),
            "verbs": strings(type.verbs),
        ]
        if !type.shortNames.isEmpty { entry["shortNames"] = strings(type.shortNames) }
        if !type.categories.isEmpty { entry["categories"] = strings(type.categories) }
        return entry
    }

    private static func subresourceEntry(_ subresource: Subresource, of type: ResourceType) -> JSON {
        let kind = responseKind(of: subresource, parent: type)
        var entry: JSON = [
            "name": .string("\(type.resource)/\(subresource.name)"),
            "singularName": "",
            "namespaced": .bool(type.namespaced),
        ]
        // Upstream names group and version only when the subresource speaks another group's kind (scale, eviction).
        if !kind.group.isEmpty || !kind.version.isEmpty,
            kind.group != type.group || kind.version != type.version
        {
            entry["group"] = .string(kind.group)
            entry["version"] = .string(kind.version)
        }
        entry["kind"] = .string(kind.kind)
        entry["verbs"] = strings(subresource.verbs)
        return entry
    }

    /// The kind a subresource is listed with. Streaming subresources carry no kind in the registry; upstream lists
    /// them with the kind of their options object (or the parent's kind for `log`), with no group or version.
    static func responseKind(of subresource: Subresource, parent: ResourceType) -> GroupVersionKind {
        if let kind = subresource.responseKind { return kind }
        let kind: String
        switch subresource.name {
        case "log": kind = parent.kind
        case "exec": kind = "\(parent.kind)ExecOptions"
        case "attach": kind = "\(parent.kind)AttachOptions"
        case "portforward": kind = "\(parent.kind)PortForwardOptions"
        case "proxy": kind = "\(parent.kind)ProxyOptions"
        default: kind = ""
        }
        return GroupVersionKind(group: "", version: "", kind: kind)
    }

    static func strings(_ values: [String]) -> JSON {
        .array(values.map(JSON.string))
    }
}
