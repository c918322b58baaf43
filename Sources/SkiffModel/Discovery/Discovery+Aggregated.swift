extension Discovery {
    /// The aggregated discovery document (`APIGroupDiscoveryList`): for `/api` when `core` is true (the core group
    /// only, with an empty name), for `/apis` otherwise (every named group).
    ///
    /// `version` must be the one negotiated with ``DiscoveryFormat/negotiate(accept:)``: the body's `apiVersion`
    /// has to match the `Content-Type` the response is sent with.
    public static func aggregated(
        _ registry: ResourceRegistry, core: Bool, version: AggregatedDiscoveryVersion = .v2
    ) -> JSON {
        var items: [JSON] = []
        if core {
            let coreVersions = registry.groupVersions.filter { $0.group.isEmpty }.map(\.version)
            if !coreVersions.isEmpty {
                items.append(groupDiscovery(registry, group: "", versions: sortedByPreference(coreVersions)))
            }
        } else {
            for group in namedGroups(registry) {
                items.append(groupDiscovery(registry, group: group.name, versions: group.versions))
            }
        }
        return [
            "kind": "APIGroupDiscoveryList",
            "apiVersion": .string(version.apiVersion),
            "metadata": [:],
            "items": .array(items),
        ]
    }

    private static func groupDiscovery(_ registry: ResourceRegistry, group: String, versions: [String]) -> JSON {
        // Go omits the empty name of the core group (`metadata: {}`); clients read it as "".
        let metadata: JSON = group.isEmpty ? [:] : ["name": .string(group)]
        let versionEntries: [JSON] = versions.map { version in
            let types = registry.types(in: ResourceRegistry.GroupVersion(group: group, version: version))
                .sorted { $0.resource < $1.resource }
            return [
                "version": .string(version),
                "resources": .array(types.map(resourceDiscovery)),
                "freshness": "Current",
            ]
        }
        return ["metadata": metadata, "versions": .array(versionEntries)]
    }

    private static func resourceDiscovery(_ type: ResourceType) -> JSON {
        // client-go drops any resource without responseKind, so it is always written in full.
        var entry: JSON = [
            "resource": .string(type.resource),
            "responseKind": gvk(type.groupVersionKind),
            "scope": type.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(type.singular),
            "verbs": strings(type.verbs),
        ]
        if !type.shortNames.isEmpty { entry["shortNames"] = strings(type.shortNames) }
        if !type.categories.isEmpty { entry["categories"] = strings(type.categories) }
        let subresources = type.subresources.sorted { $0.name < $1.name }
        if !subresources.isEmpty {
            entry["subresources"] = .array(
                subresources.map { subresource in
                    [
                        "subresource": .string(subresource.name),
                        // Never absent: client-go v0.26.0-v0.26.3 crash on a nil subresource responseKind.
                        "responseKind": gvk(responseKind(of: subresource, parent: type)),
                        "verbs": strings(subresource.verbs),
                    ]
                })
        }
        return entry
    }

    private static func gvk(_ kind: GroupVersionKind) -> JSON {
        ["group": .string(kind.group), "version": .string(kind.version), "kind": .string(kind.kind)]
    }
}

/// A version of the aggregated discovery API (`apidiscovery.k8s.io`).
public enum AggregatedDiscoveryVersion: String, Sendable, Hashable, CaseIterable {
    /// `apidiscovery.k8s.io/v2`, GA since Kubernetes 1.30.
    case v2
    /// `apidiscovery.k8s.io/v2beta1`, asked for by clients from 1.26 to 1.29.
    case v2beta1

    /// The `apiVersion` written in the body.
    public var apiVersion: String { "apidiscovery.k8s.io/\(rawValue)" }

    /// The `Content-Type` the response must carry.
    public var contentType: String {
        switch self {
        case .v2: Discovery.aggregatedV2ContentType
        case .v2beta1: Discovery.aggregatedV2Beta1ContentType
        }
    }
}
