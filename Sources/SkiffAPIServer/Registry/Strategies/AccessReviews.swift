import SkiffModel

/// A create of a review resource, which stores nothing and answers from the authorizer.
struct ReviewRequest: Sendable {
    var user: UserInfo
    var namespace: String?
    var body: JSON
    var registry: ObjectRegistry
}

/// `authorization.k8s.io/v1` reviews: `SelfSubjectAccessReview` (`kubectl auth can-i`), `SelfSubjectRulesReview`
/// (`kubectl auth can-i --list`), `SubjectAccessReview` and `LocalSubjectAccessReview` (may another user do this?).
/// Each answers the request's own spec with a status from the same authorizer requests pass.
enum AccessReviews {
    static let group = "authorization.k8s.io"

    static func selfSubjectAccess(_ review: ReviewRequest) async throws(APIError) -> JSON {
        try await answer(review, kind: "SelfSubjectAccessReview", user: review.user)
    }

    static func subjectAccess(_ review: ReviewRequest) async throws(APIError) -> JSON {
        let spec = review.body["spec"]
        let groups = spec["groups"].arrayValue?.compactMap(\.stringValue) ?? []
        let name = spec["user"].stringValue ?? ""
        guard !name.isEmpty || !groups.isEmpty else {
            throw invalid(
                "SubjectAccessReview", "spec.user",
                "Invalid value: \"\": at least one of user or group must be specified")
        }
        var extra: [String: [String]] = [:]
        for (key, values) in spec["extra"].objectValue ?? JSONObject() {
            extra[key] = values.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let user = UserInfo(name: name, groups: groups, uid: spec["uid"].stringValue ?? "", extra: extra)
        if review.namespace != nil {
            let wanted = spec["resourceAttributes"]["namespace"].stringValue ?? ""
            if case .object = spec["nonResourceAttributes"] {
                throw invalid(
                    "LocalSubjectAccessReview", "spec.nonResourceAttributes",
                    "Invalid value: \"\(spec["nonResourceAttributes"].serializedString())\": disallowed on this kind of request"
                )
            }
            guard wanted == review.namespace else {
                throw APIError.badRequest(
                    "spec.resourceAttributes.namespace must match namespace: \(review.namespace ?? "")")
            }
            return try await answer(review, kind: "LocalSubjectAccessReview", user: user)
        }
        return try await answer(review, kind: "SubjectAccessReview", user: user)
    }

    /// The spec's question, asked of the authorizer as `user`.
    private static func answer(_ review: ReviewRequest, kind: String, user: UserInfo) async throws(APIError) -> JSON {
        let spec = review.body["spec"]
        let attributes: RequestAttributes
        switch (spec["resourceAttributes"], spec["nonResourceAttributes"]) {
        case (.object, .null), (.object, .object):
            let resource = spec["resourceAttributes"]
            func text(_ key: String) -> String { resource[key].stringValue ?? "" }
            attributes = RequestAttributes(
                user: user, verb: text("verb"), group: text("group"), resource: text("resource"),
                subresource: text("subresource").isEmpty ? nil : text("subresource"),
                namespace: text("namespace").isEmpty ? nil : text("namespace"),
                name: text("name").isEmpty ? nil : text("name"))
        case (.null, .object):
            let nonResource = spec["nonResourceAttributes"]
            attributes = .nonResource(
                user: user, verb: nonResource["verb"].stringValue ?? "", path: nonResource["path"].stringValue ?? "")
        default:
            throw invalid(
                kind, "spec.resourceAttributes",
                "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified")
        }
        let refusal = try await RequestAuthorizer(registry: review.registry).decide(attributes)
        var status: JSON = ["allowed": .bool(refusal == nil)]
        if let refusal, let reason = reason(of: refusal, attributes) { status["reason"] = .string(reason) }
        return response(kind, review, status: status)
    }

    /// `kubectl auth can-i --list`: every rule RBAC grants the caller in the namespace.
    static func selfSubjectRules(_ review: ReviewRequest) async throws(APIError) -> JSON {
        let namespace = review.body["spec"]["namespace"].stringValue ?? ""
        guard !namespace.isEmpty else { throw APIError.badRequest("no namespace on request") }
        let user = review.user
        var resourceRules: [JSON] = []
        var nonResourceRules: [JSON] = []
        for rule in review.registry.rbac.policy.rules(for: user, namespace: namespace) {
            func list(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
            if rule.nonResourceURLs.isEmpty {
                var json: JSON = ["verbs": list(rule.verbs), "apiGroups": list(rule.apiGroups)]
                json["resources"] = list(rule.resources)
                if !rule.resourceNames.isEmpty { json["resourceNames"] = list(rule.resourceNames) }
                resourceRules.append(json)
            } else {
                nonResourceRules.append(["verbs": list(rule.verbs), "nonResourceURLs": list(rule.nonResourceURLs)])
            }
        }
        // A node's own rights come from the node authorizer, which lists no rules: the answer is incomplete.
        let status: JSON = [
            "resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules),
            "incomplete": .bool(user.nodeName != nil),
        ]
        return response("SelfSubjectRulesReview", review, status: status)
    }

    private static func response(_ kind: String, _ review: ReviewRequest, status: JSON) -> JSON {
        var metadata: JSON = ["creationTimestamp": .null]
        if let namespace = review.namespace { metadata["namespace"] = .string(namespace) }
        return [
            "kind": .string(kind), "apiVersion": "authorization.k8s.io/v1", "metadata": metadata,
            "spec": review.body["spec"], "status": status,
        ]
    }

    /// What a refusal says after upstream's sentence (`…: no relationship found …`), if anything.
    private static func reason(of refusal: APIError, _ attributes: RequestAttributes) -> String? {
        guard refusal.code == 403 else { return refusal.message }
        guard let range = refusal.message.range(of: attributes.refusal + ": ") else { return nil }
        return String(refusal.message[range.upperBound...])
    }

    private static func invalid(_ kind: String, _ field: String, _ message: String) -> APIError {
        let type = ResourceType(
            group: group, version: "v1", kind: kind, resource: kind.lowercased() + "s", namespaced: false)
        return APIError.invalid(type, "", [.init(type: "FieldValueInvalid", message: message, field: field)])
    }

    static func extraJSON(_ extra: [String: [String]]) -> JSON {
        var object = JSONObject()
        for key in extra.keys.sorted() { object[key] = .array((extra[key] ?? []).map { .string($0) }) }
        return .object(object)
    }
}
