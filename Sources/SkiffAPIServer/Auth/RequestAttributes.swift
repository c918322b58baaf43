import SkiffModel

/// What a request asks to do, in the terms authorization speaks (upstream's `authorizer.Attributes` for resource
/// requests).
struct RequestAttributes: Sendable, Equatable {
    var user: UserInfo
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` or `deletecollection`.
    var verb: String
    var group: String
    var resource: String
    var subresource: String?
    var namespace: String?
    var name: String?

    /// The verb upstream derives from an HTTP method: GET is `get` on one object, else `list` or (`?watch=true`)
    /// `watch`; POST `create`; PUT `update`; PATCH `patch`; DELETE `delete`, or `deletecollection` without a name.
    static func verb(method: String, named: Bool, watch: Bool) -> String {
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
    var resourcePath: String { subresource.map { "\(resource)/\($0)" } ?? resource }

    /// Upstream's 403 for a refused request (`forbidden` in the RBAC and node authorizers):
    /// `secrets "db" is forbidden: User "system:node:a" cannot get resource "secrets" in API group "" in the
    /// namespace "default": <reason>`.
    func forbidden(_ reason: String) -> APIError {
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let subject = name.map { "\(qualified) \"\($0)\"" } ?? qualified
        let message =
            "\(subject) is forbidden: User \"\(user.name)\" cannot \(verb) resource \"\(resourcePath)\" in API group "
            + "\"\(group)\" \(scope)" + (reason.isEmpty ? "" : ": \(reason)")
        return APIError(code: 403, reason: "Forbidden", message: message, name: name, group: group, kind: resource)
    }
}

extension UserInfo {
    /// The node a node identity (`system:node:<name>` in group `system:nodes`) speaks for; nil for everyone else.
    var nodeName: String? {
        guard groups.contains("system:nodes"), name.hasPrefix("system:node:") else { return nil }
        let node = String(name.dropFirst("system:node:".count))
        return node.isEmpty ? nil : node
    }

    /// The group of the server token's user (k3s names its own `k3s:agent`).
    static let joinGroup = "skiff:agent"

    /// A join token's user — a bootstrap token's (`system:bootstrap:<id>`, group `system:bootstrappers`) or the
    /// server token's (`node`, group `skiff:agent`): it may get a node certificate, nothing more.
    var mayOnlyJoin: Bool { groups.contains("system:bootstrappers") || groups.contains(Self.joinGroup) }
}
