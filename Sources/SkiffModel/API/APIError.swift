/// An API failure as clients see it: a `metav1.Status` with the upstream code, reason and message shapes
/// (apimachinery `pkg/api/errors`). Everything that reaches a client as an error goes through this type.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem with a field, for 422 Invalid.
    public struct Cause: Sendable, Equatable {
        public var type: String
        public var message: String
        public var field: String

        public init(type: String, message: String, field: String) {
            self.type = type
            self.message = message
            self.field = field
        }
    }

    public var code: Int
    public var reason: String
    public var message: String
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [Cause]
    public var retryAfterSeconds: Int?

    public init(
        code: Int, reason: String, message: String, name: String? = nil, group: String? = nil, kind: String? = nil,
        causes: [Cause] = [], retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object for the response body.
    public var status: JSON {
        var status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        if name != nil || group != nil || kind != nil || !causes.isEmpty || retryAfterSeconds != nil {
            var details = JSON.emptyObject
            // Upstream's StatusDetails fields are omitempty: the core group is no "group" at all.
            if let name, !name.isEmpty { details["name"] = .string(name) }
            if let group, !group.isEmpty { details["group"] = .string(group) }
            if let kind, !kind.isEmpty { details["kind"] = .string(kind) }
            if !causes.isEmpty {
                details["causes"] = .array(
                    causes.map { cause in
                        var entry = JSON.emptyObject
                        if !cause.type.isEmpty { entry["reason"] = .string(cause.type) }
                        if !cause.message.isEmpty { entry["message"] = .string(cause.message) }
                        if !cause.field.isEmpty { entry["field"] = .string(cause.field) }
                        return entry
                    })
            }
            if let retryAfterSeconds { details["retryAfterSeconds"] = .int(retryAfterSeconds) }
            status["details"] = details
        }
        status["code"] = .int(code)
        return status
    }
}

extension APIError {
    public static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(type.qualifiedResource) \"\(name)\" not found", name: name,
            group: type.group, kind: type.resource)
    }

    public static let unknownPath = APIError(
        code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    public static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(type.qualifiedResource) \"\(name)\" already exists",
            name: name, group: type.group, kind: type.resource)
    }

    public static func conflict(_ type: ResourceType, _ name: String, _ why: String? = nil) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": "
                + (why ?? "the object has been modified; please apply your changes to the latest version and try again"),
            name: name, group: type.group, kind: type.resource)
    }

    /// 422 with one cause per problem: `Kind "name" is invalid: field: Type: detail, …`.
    public static func invalid(_ type: ResourceType, _ name: String, _ causes: [Cause]) -> APIError {
        let summary = causes.map { "\($0.field): \($0.message)" }
        let joined = summary.count == 1 ? summary[0] : "[" + summary.joined(separator: ", ") + "]"
        let groupKind = type.group.isEmpty ? type.kind : "\(type.kind).\(type.group)"
        return APIError(
            code: 422, reason: "Invalid", message: "\(groupKind) \"\(name)\" is invalid: \(joined)", name: name,
            group: type.group, kind: type.kind, causes: causes)
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message:
                "the body of the request was in an unknown format (\(contentType)) - accepted media types include: "
                + "application/json, application/yaml, application/vnd.kubernetes.protobuf")
    }

    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func tooLarge(_ message: String = "the request is too large") -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: message)
    }

    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func forbidden(_ message: String) -> APIError {
        APIError(code: 403, reason: "Forbidden", message: message)
    }

    public static func `internal`(_ message: String) -> APIError {
        APIError(
            code: 500, reason: "InternalError",
            message: "Internal error occurred: \(message)")
    }

    public static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }
}
