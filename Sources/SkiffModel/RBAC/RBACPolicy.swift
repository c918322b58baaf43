/// The RBAC objects of a cluster, indexed for authorization (upstream's RBAC authorizer over its informer caches):
/// roles and cluster roles by name, and bindings by subject, so a decision looks up the user's and each group's
/// bindings and never scans every binding.
///
/// A value type fed by watch events (`apply`); readers take a copy and evaluate it without locks.
public struct RBACPolicy: Sendable {
    /// A binding's subject as the index keys it; a ServiceAccount subject is the user it authenticates as.
    enum SubjectKey: Hashable, Sendable {
        case user(String)
        case group(String)
    }

    public struct RoleRef: Hashable, Sendable {
        public var clusterRole: Bool
        public var name: String
    }

    struct Binding: Sendable, Equatable {
        var roleRef: RoleRef
        var subjects: [SubjectKey]
    }

    /// Which RBAC resource an object or event belongs to.
    public enum Kind: String, Sendable, CaseIterable {
        case role = "roles"
        case clusterRole = "clusterroles"
        case roleBinding = "rolebindings"
        case clusterRoleBinding = "clusterrolebindings"

        public init?(resource: String) { self.init(rawValue: resource) }
    }

    private var clusterRoles: [String: [PolicyRule]] = [:]
    /// Namespace → role name → rules.
    private var roles: [String: [String: [PolicyRule]]] = [:]
    private var clusterBindings: [String: Binding] = [:]
    /// Namespace → binding name → binding.
    private var namespaceBindings: [String: [String: Binding]] = [:]
    /// Subject → cluster role binding names → the role each grants.
    private var clusterSubjects: [SubjectKey: [String: RoleRef]] = [:]
    /// Namespace → subject → role binding names → role.
    private var namespaceSubjects: [String: [SubjectKey: [String: RoleRef]]] = [:]

    public init() {}

    public var counts: (roles: Int, clusterRoles: Int, bindings: Int) {
        (
            roles.values.reduce(0) { $0 + $1.count }, clusterRoles.count,
            clusterBindings.count + namespaceBindings.values.reduce(0) { $0 + $1.count }
        )
    }

    // MARK: Following the objects

    /// Records an added or modified object (`deleted: false`) or forgets a deleted one.
    public mutating func apply(_ kind: Kind, object: JSON, deleted: Bool) {
        let name = object.name ?? ""
        let namespace = object.namespace ?? ""
        switch kind {
        case .clusterRole:
            clusterRoles[name] = deleted ? nil : PolicyRule.rules(of: object)
        case .role:
            roles[namespace, default: [:]][name] = deleted ? nil : PolicyRule.rules(of: object)
            if roles[namespace]?.isEmpty == true { roles[namespace] = nil }
        case .clusterRoleBinding:
            if let old = clusterBindings[name] {
                for subject in old.subjects { clusterSubjects[subject]?[name] = nil }
            }
            clusterBindings[name] = nil
            guard !deleted, let binding = Self.binding(object, namespace: nil) else { return }
            clusterBindings[name] = binding
            for subject in binding.subjects { clusterSubjects[subject, default: [:]][name] = binding.roleRef }
        case .roleBinding:
            if let old = namespaceBindings[namespace]?[name] {
                for subject in old.subjects { namespaceSubjects[namespace]?[subject]?[name] = nil }
            }
            namespaceBindings[namespace]?[name] = nil
            guard !deleted, let binding = Self.binding(object, namespace: namespace) else { return }
            namespaceBindings[namespace, default: [:]][name] = binding
            for subject in binding.subjects {
                namespaceSubjects[namespace, default: [:]][subject, default: [:]][name] = binding.roleRef
            }
        }
    }

    /// A binding's role and subjects; nil when its roleRef is unusable. A ServiceAccount subject without a namespace
    /// takes the binding's (as upstream's `appliesToUser`).
    static func binding(_ object: JSON, namespace: String?) -> Binding? {
        let ref = object["roleRef"]
        guard let roleName = ref["name"].stringValue, let kind = ref["kind"].stringValue,
            kind == "ClusterRole" || (kind == "Role" && namespace != nil)
        else { return nil }
        var subjects: [SubjectKey] = []
        for subject in object["subjects"].arrayValue ?? [] {
            guard let name = subject["name"].stringValue else { continue }
            switch subject["kind"].stringValue {
            case "User": subjects.append(.user(name))
            case "Group": subjects.append(.group(name))
            case "ServiceAccount":
                guard let account = subject["namespace"].stringValue ?? namespace, !account.isEmpty else { continue }
                subjects.append(.user("\(UserInfo.serviceAccountPrefix)\(account):\(name)"))
            default: continue
            }
        }
        return Binding(roleRef: RoleRef(clusterRole: kind == "ClusterRole", name: roleName), subjects: subjects)
    }

    // MARK: Decisions

    /// Whether some binding that applies to the user grants a rule that allows the request. A binding to a role that
    /// does not exist grants nothing.
    public func allows(_ request: RequestAttributes) -> Bool {
        let user = request.user
        if allows(request, key: .user(user.name)) { return true }
        for group in user.groups where allows(request, key: .group(group)) { return true }
        return false
    }

    private func allows(_ request: RequestAttributes, key: SubjectKey) -> Bool {
        if let refs = clusterSubjects[key] {
            for ref in refs.values {
                if let rules = clusterRoles[ref.name], rules.contains(where: { $0.allows(request) }) { return true }
            }
        }
        guard let namespace = request.namespace, let refs = namespaceSubjects[namespace]?[key] else { return false }
        for ref in refs.values {
            if let rules = self.rules(of: ref, namespace: namespace), rules.contains(where: { $0.allows(request) }) {
                return true
            }
        }
        return false
    }

    func rules(of ref: RoleRef, namespace: String?) -> [PolicyRule]? {
        if ref.clusterRole { return clusterRoles[ref.name] }
        guard let namespace else { return nil }
        return roles[namespace]?[ref.name]
    }

    /// Every rule the user holds in `namespace` (nil: cluster-wide rules only), as upstream's `RulesFor`: what
    /// `SelfSubjectRulesReview` answers and what escalation checks compare against.
    public func rules(for user: UserInfo, namespace: String?) -> [PolicyRule] {
        var keys: [SubjectKey] = [.user(user.name)]
        keys += user.groups.map { .group($0) }
        var rules: [PolicyRule] = []
        for key in keys {
            for ref in clusterSubjects[key]?.values.sorted(by: Self.order) ?? [] {
                rules += clusterRoles[ref.name] ?? []
            }
            guard let namespace else { continue }
            for ref in namespaceSubjects[namespace]?[key]?.values.sorted(by: Self.order) ?? [] {
                rules += self.rules(of: ref, namespace: namespace) ?? []
            }
        }
        return rules
    }

    /// The rules of the role a binding in `namespace` (nil: a cluster role binding) refers to; nil when it is missing.
    public func rules(ofRole name: String, clusterRole: Bool, namespace: String?) -> [PolicyRule]? {
        rules(of: RoleRef(clusterRole: clusterRole, name: name), namespace: namespace)
    }

    private static func order(_ a: RoleRef, _ b: RoleRef) -> Bool {
        (a.clusterRole ? 0 : 1, a.name) < (b.clusterRole ? 0 : 1, b.name)
    }
}
