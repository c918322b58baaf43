/// What a request asks to do, in the terms authorization speaks (upstream's `authorizer.Attributes`): a verb on a
/// resource (group, resource, subresource, namespace, name), or a verb on a non-resource path (`/healthz`, `/api`).
public struct RequestAttributes: Sendable, Equatable {
    public var user: UserInfo
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or a special verb
    /// (`impersonate`, `bind`, `escalate`, `use`…); for non-resource requests the lower-cased HTTP method.
    public var verb: String
    public var group: String
    /// Empty for a non-resource request.
    public var resource: String
    public var subresource: String?
    public var namespace: String?
    public var name: String?
    /// The URL path of a non-resource request; nil for resource requests.
    public var path: String?

    public init(
        user: UserInfo, verb: String, group: String, resource: String, subresource: String? = nil,
        namespace: String? = nil, name: String? = nil
    ) {
        self.user = user
        self.verb = verb
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// A request for a path outside the resource tree (discovery, health, version, OpenAPI).
    public static func nonResource(user: UserInfo, verb: String, path: String) -> RequestAttributes {
        var attributes = RequestAttributes(user: user, verb: verb, group: "", resource: "")
        attributes.path = path
        return attributes
    }

    public var isResourceRequest: Bool { path == nil }

    /// The verb upstream derives from an HTTP method: GET is `get` on one object, else `list` or (`?watch=true`)
    /// `watch`; POST `create`; PUT `update`; PATCH `patch`; DELETE `delete`, or `deletecollection` without a name.
    public static func verb(method: String, named: Bool, watch: Bool) -> String {
        switch method {
        case "GET", "HEAD": watch ? "watch" : named ? "get" : "list"
        case "POST": "create"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": named ? "delete" : "deletecollection"
        default: method.lowercased()
        }
    }

    /// `pods/log` for a subresource request, else the resource.
    public var resourcePath: String { subresource.map { "\(resource)/\($0)" } ?? resource }

    /// Upstream's sentence for a refused request (`forbiddenMessage`): `User "u" cannot get resource "pods" in API
    /// group "" in the namespace "a"`, or `User "u" cannot get path "/metrics"`.
    public var refusal: String {
        guard let path else {
            let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
            return
                "User \"\(user.name)\" cannot \(verb) resource \"\(resourcePath)\" in API group \"\(group)\" \(scope)"
        }
        return "User \"\(user.name)\" cannot \(verb) path \"\(path)\""
    }

    /// Upstream's 403 for a refused request: `secrets "db" is forbidden: User "system:node:a" cannot get resource
    /// "secrets" in API group "" in the namespace "default": <reason>`; for a path, `forbidden: User … path "/x"`.
    public func forbidden(_ reason: String) -> APIError {
        let sentence = refusal + (reason.isEmpty ? "" : ": \(reason)")
        guard isResourceRequest else {
            return APIError(code: 403, reason: "Forbidden", message: "forbidden: \(sentence)")
        }
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let subject = name.map { "\(qualified) \"\($0)\"" } ?? qualified
        return APIError(
            code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(sentence)", name: name, group: group,
            kind: resource)
    }
}

extension UserInfo {
    /// The node a node identity (`system:node:<name>` in group `system:nodes`) speaks for; nil for everyone else.
    public var nodeName: String? {
        guard groups.contains("system:nodes"), name.hasPrefix("system:node:") else { return nil }
        let node = String(name.dropFirst("system:node:".count))
        return node.isEmpty ? nil : node
    }

    /// The group of the server token's user (k3s names its own `k3s:agent`).
    public static let joinGroup = "skiff:agent"

    /// A join token's user — a bootstrap token's (`system:bootstrap:<id>`, group `system:bootstrappers`) or the
    /// server token's (`node`, group `skiff:agent`): it may get a node certificate, nothing more.
    public var mayOnlyJoin: Bool { groups.contains("system:bootstrappers") || groups.contains(Self.joinGroup) }
}
