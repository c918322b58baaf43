/// One rule of a Role or ClusterRole (`rbac.authorization.k8s.io/v1` `PolicyRule`), matched as upstream's
/// `RuleAllows`: verbs, API groups, resources (`pods/log`, `*/scale`, `*`), resource names (empty: any), or
/// non-resource URLs (exact, or a prefix ending in `*`).
public struct PolicyRule: Sendable, Hashable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(
        verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
        nonResourceURLs: [String] = []
    ) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// The rule a stored object holds; fields that are not string arrays count as empty (validation refused them).
    public init(json: JSON) {
        func strings(_ key: String) -> [String] { json[key].arrayValue?.compactMap(\.stringValue) ?? [] }
        self.init(
            verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
            resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
    }

    /// The rules of a Role or ClusterRole object.
    public static func rules(of object: JSON) -> [PolicyRule] {
        object["rules"].arrayValue?.map(PolicyRule.init(json:)) ?? []
    }

    /// The rule as the API writes it (empty lists left out).
    public var json: JSON {
        var object = JSONObject()
        object["verbs"] = .array(verbs.map { .string($0) })
        for (key, values) in [
            ("apiGroups", apiGroups), ("resources", resources), ("resourceNames", resourceNames),
            ("nonResourceURLs", nonResourceURLs),
        ] where !values.isEmpty {
            object[key] = .array(values.map { .string($0) })
        }
        return .object(object)
    }

    public func allows(_ request: RequestAttributes) -> Bool {
        guard Self.verbMatches(verbs, request.verb) else { return false }
        guard let path = request.path else {
            return apiGroups.contains { $0 == "*" || $0 == request.group }
                && resourceMatches(request.resource, request.subresource)
                && (resourceNames.isEmpty || request.name.map { resourceNames.contains($0) } == true)
        }
        return nonResourceURLs.contains { url in
            url == "*" || url == path || (url.hasSuffix("*") && path.hasPrefix(url.dropLast()))
        }
    }

    static func verbMatches(_ verbs: [String], _ verb: String) -> Bool {
        verbs.contains { $0 == "*" || $0 == verb }
    }

    /// `*`, the exact `resource[/subresource]`, or `*/subresource` for a subresource request.
    func resourceMatches(_ resource: String, _ subresource: String?) -> Bool {
        for candidate in resources {
            if candidate == "*" { return true }
            guard let subresource else {
                if candidate == resource { return true }
                continue
            }
            let slash = candidate.firstIndex(of: "/")
            guard let slash else { continue }
            let head = candidate[..<slash]
            let tail = candidate[candidate.index(after: slash)...]
            if tail == subresource, head == resource || head == "*" { return true }
        }
        return false
    }
}
