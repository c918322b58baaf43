import SkiffModel

/// What a request path addresses. Parsing is pure; the responder dispatches on the result.
enum APIRoute: Equatable, Sendable {
    case version
    case health(String)
    /// `/cacerts`: the server CA PEM whose hash join tokens pin; served without authentication, as k3s does.
    case caCertificates
    /// `/ping` → `pong` (k3s), an unauthenticated liveness probe for agents.
    case ping
    /// `/v1-skiff/connect`: an agent's reverse tunnel (a WebSocket upgrade).
    case tunnel
    /// `/v1-skiff/node-certificate`: a joining agent's request for its node client certificate.
    case nodeCertificate
    /// `/api`
    case coreVersions
    /// `/apis`
    case groups
    /// `/apis/<group>`
    case group(String)
    /// `/api/v1`, `/apis/<group>/<version>`
    case resourceList(group: String, version: String)
    case openAPIv3Index
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`
    case openAPIv3(group: String, version: String)
    case openAPIv2
    case resource(ResourceRoute)
    case unknown

    /// One object, a collection, or a subresource of one object.
    struct ResourceRoute: Equatable, Sendable {
        var group: String
        var version: String
        var resource: String
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    /// Splits `path` (without the query) into a route. Namespaced and cluster-scoped shapes are told apart the way
    /// upstream does: `namespaces/<ns>/<resource>…` addresses a namespaced resource unless `<resource>` is one of the
    /// namespace's own subresources.
    static func parse(_ path: String) -> APIRoute {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let first = segments.first else { return .unknown }
        switch first {
        case "version" where segments.count == 1: return .version
        case "healthz", "livez", "readyz": return .health(first)
        case "cacerts" where segments.count == 1: return .caCertificates
        case "ping" where segments.count == 1: return .ping
        case "v1-skiff" where segments.count == 2 && segments[1] == "connect": return .tunnel
        case "v1-skiff" where segments.count == 2 && segments[1] == "node-certificate": return .nodeCertificate
        case "openapi":
            if segments.count == 2, segments[1] == "v2" { return .openAPIv2 }
            guard segments.count >= 2, segments[1] == "v3" else { return .unknown }
            let rest = Array(segments.dropFirst(2))
            if rest.isEmpty { return .openAPIv3Index }
            if rest.count == 2, rest[0] == "api" { return .openAPIv3(group: "", version: rest[1]) }
            if rest.count == 3, rest[0] == "apis" { return .openAPIv3(group: rest[1], version: rest[2]) }
            return .unknown
        case "api":
            if segments.count == 1 { return .coreVersions }
            return resource(group: "", version: segments[1], rest: Array(segments.dropFirst(2)))
        case "apis":
            if segments.count == 1 { return .groups }
            if segments.count == 2 { return .group(segments[1]) }
            return resource(group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)))
        default:
            return .unknown
        }
    }

    private static let namespaceSubresources: Set<String> = ["status", "finalize"]

    private static func resource(group: String, version: String, rest: [String]) -> APIRoute {
        if rest.isEmpty { return .resourceList(group: group, version: version) }
        var route = ResourceRoute(group: group, version: version, resource: rest[0])
        if rest[0] == "namespaces", rest.count >= 3, !namespaceSubresources.contains(rest[2]) {
            route.namespace = rest[1]
            route.resource = rest[2]
            let tail = rest.dropFirst(3)
            route.name = tail.first
            route.subresource = tail.dropFirst().first
            if tail.count > 2 { return .unknown }
        } else {
            route.name = rest.dropFirst().first
            route.subresource = rest.dropFirst(2).first
            if rest.count > 3 { return .unknown }
        }
        return .resource(route)
    }
}

extension APIRoute {
    /// Paths outside the resource tree that the authorizer judges as non-resource requests. The join endpoints
    /// and the tunnel check their callers themselves.
    var isNonResource: Bool {
        switch self {
        case .resource, .tunnel, .nodeCertificate, .caCertificates, .ping: false
        default: true
        }
    }

    /// What upstream's `system:public-info-viewer` lets anyone read: health and version.
    var isPublicInfo: Bool {
        switch self {
        case .version, .health: true
        default: false
        }
    }
}
