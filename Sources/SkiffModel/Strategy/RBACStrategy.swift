/// Roles, cluster roles and their bindings (`rbac.authorization.k8s.io/v1`): names are path segments (`system:view`
/// is valid), bindings' `roleRef.apiGroup` and User/Group subjects' `apiGroup` default to the RBAC group, and
/// validation is upstream's (`pkg/apis/rbac/validation`), with its field paths and messages.
public struct RBACStrategy: ResourceStrategy {
    public enum Kind: Sendable {
        case role, clusterRole, roleBinding, clusterRoleBinding
    }

    public static let group = "rbac.authorization.k8s.io"

    let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func validateName(_ name: String, type: ResourceType) throws(APIError) {
        try NameRules.check(name, { _ in [] }, type: type)
    }

    public func applyDefaults(_ object: inout JSON) {
        guard kind == .roleBinding || kind == .clusterRoleBinding else { return }
        if case .object = object["roleRef"], (object["roleRef"]["apiGroup"].stringValue ?? "").isEmpty {
            object["roleRef"]["apiGroup"] = .string(Self.group)
        }
        guard var subjects = object["subjects"].arrayValue else { return }
        for index in subjects.indices where (subjects[index]["apiGroup"].stringValue ?? "").isEmpty {
            if ["User", "Group"].contains(subjects[index]["kind"].stringValue) {
                subjects[index]["apiGroup"] = .string(Self.group)
            }
        }
        object["subjects"] = .array(subjects)
    }

    public func validate(_ object: JSON, type: ResourceType) throws(APIError) {
        var errors = FieldErrors()
        switch kind {
        case .role, .clusterRole:
            for (index, rule) in (object["rules"].arrayValue ?? []).enumerated() {
                Self.validate(rule: rule, namespaced: kind == .role, path: "rules[\(index)]", into: &errors)
            }
            if kind == .clusterRole, case .object = object["aggregationRule"] {
                let selectors = object["aggregationRule"]["clusterRoleSelectors"].arrayValue ?? []
                errors.require(
                    !selectors.isEmpty, "aggregationRule.clusterRoleSelectors",
                    "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil")
                for (index, selector) in selectors.enumerated() {
                    do { _ = try LabelSelector(labelSelector: selector) } catch {
                        errors.invalid(
                            "aggregationRule.clusterRoleSelectors[\(index)]",
                            "Invalid value: \(selector.serializedString()): invalid label selector.")
                    }
                }
            }
        case .roleBinding, .clusterRoleBinding:
            Self.validate(roleRef: object["roleRef"], namespaced: kind == .roleBinding, into: &errors)
            for (index, subject) in (object["subjects"].arrayValue ?? []).enumerated() {
                Self.validate(
                    subject: subject, namespaced: kind == .roleBinding, path: "subjects[\(index)]", into: &errors)
            }
        }
        try errors.check(type, object)
    }

    public func validateUpdate(_ object: JSON, old: JSON, type: ResourceType) throws(APIError) {
        try validate(object, type: type)
        guard kind == .roleBinding || kind == .clusterRoleBinding, object["roleRef"] != old["roleRef"] else { return }
        let ref = object["roleRef"]
        let value =
            "rbac.RoleRef{APIGroup:\"\(ref["apiGroup"].stringValue ?? "")\", Kind:\"\(ref["kind"].stringValue ?? "")\", "
            + "Name:\"\(ref["name"].stringValue ?? "")\"}"
        var errors = FieldErrors()
        errors.invalid("roleRef", "Invalid value: \(value): cannot change roleRef")
        try errors.check(type, object)
    }

    static func validate(rule: JSON, namespaced: Bool, path: String, into errors: inout FieldErrors) {
        let policy = PolicyRule(json: rule)
        errors.require(!policy.verbs.isEmpty, "\(path).verbs", "Required value: verbs must contain at least one value")
        if !policy.nonResourceURLs.isEmpty {
            let value = "[]string{" + policy.nonResourceURLs.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
            if namespaced {
                errors.invalid(
                    "\(path).nonResourceURLs",
                    "Invalid value: \(value): namespaced rules cannot apply to non-resource URLs")
            }
            if !policy.apiGroups.isEmpty || !policy.resources.isEmpty || !policy.resourceNames.isEmpty {
                errors.invalid(
                    "\(path).nonResourceURLs",
                    "Invalid value: \(value): rules cannot apply to both regular resources and non-resource URLs")
            }
            return
        }
        errors.require(
            !policy.apiGroups.isEmpty, "\(path).apiGroups",
            "Required value: resource rules must supply at least one api group")
        errors.require(
            !policy.resources.isEmpty, "\(path).resources",
            "Required value: resource rules must supply at least one resource")
    }

    static func validate(roleRef: JSON, namespaced: Bool, into errors: inout FieldErrors) {
        let group = roleRef["apiGroup"].stringValue ?? ""
        if group != Self.group {
            errors.notSupported("roleRef.apiGroup", group, [Self.group])
        }
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        let kind = roleRef["kind"].stringValue ?? ""
        if !kinds.contains(kind) { errors.notSupported("roleRef.kind", kind, kinds) }
        let name = roleRef["name"].stringValue ?? ""
        errors.require(!name.isEmpty, "roleRef.name")
        for problem in name.isEmpty ? [] : NameValidation.pathSegmentErrors(name) {
            errors.invalid("roleRef.name", "Invalid value: \"\(name)\": \(problem)")
        }
    }

    static func validate(subject: JSON, namespaced: Bool, path: String, into errors: inout FieldErrors) {
        let name = subject["name"].stringValue ?? ""
        errors.require(!name.isEmpty, "\(path).name")
        let group = subject["apiGroup"].stringValue ?? ""
        switch subject["kind"].stringValue ?? "" {
        case "ServiceAccount":
            for problem in name.isEmpty ? [] : NameValidation.subdomainErrors(name) {
                errors.invalid("\(path).name", "Invalid value: \"\(name)\": \(problem)")
            }
            if !group.isEmpty { errors.notSupported("\(path).apiGroup", group, [""]) }
            errors.require(namespaced || !(subject["namespace"].stringValue ?? "").isEmpty, "\(path).namespace")
        case "User", "Group":
            if group != Self.group { errors.notSupported("\(path).apiGroup", group, [Self.group]) }
        case let kind:
            errors.notSupported("\(path).kind", kind, ["ServiceAccount", "User", "Group"])
        }
    }
}

extension FieldErrors {
    /// Upstream's `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`.
    mutating func notSupported(_ field: String, _ value: String, _ supported: [String]) {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        causes.append(
            .init(
                type: "FieldValueNotSupported", message: "Unsupported value: \"\(value)\": supported values: \(list)",
                field: field))
    }
}
