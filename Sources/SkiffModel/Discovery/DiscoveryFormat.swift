/// Which discovery document a client asked for at `/api` or `/apis`.
public enum DiscoveryFormat: Sendable, Hashable {
    /// `APIVersions` / `APIGroupList` as plain JSON.
    case legacy
    /// `APIGroupDiscoveryList` in the given version.
    case aggregated(AggregatedDiscoveryVersion)

    /// The `Content-Type` to answer with; client-go decides how to parse the body from it alone.
    public var contentType: String {
        switch self {
        case .legacy: Discovery.legacyContentType
        case .aggregated(let version): version.contentType
        }
    }

    /// Picks the format from an `Accept` header: the most preferred range that names aggregated discovery
    /// (`as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2|v2beta1`) wins unless a plain JSON range ranks above it.
    ///
    /// kubectl sends `…v=v2…,…v=v2beta1…,application/json`, so it gets v2. A missing header, a plain
    /// `application/json` or anything unrecognised gets legacy discovery, which every client can read.
    public static func negotiate(accept: String?) -> DiscoveryFormat {
        for range in MediaRange.parseAccept(accept) where range.acceptsJSON {
            guard let representation = range.representation else { return .legacy }
            guard representation == "APIGroupDiscoveryList", range.group == "apidiscovery.k8s.io",
                let version = range.version.flatMap(AggregatedDiscoveryVersion.init(rawValue:))
            else { continue }  // a representation we do not serve; try the client's next choice
            return .aggregated(version)
        }
        return .legacy
    }
}
