/// Who made a request, as authentication (or impersonation) established it (upstream's `user.Info`).
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var groups: [String]
    /// The user's unique id where the authenticator knows one (a service account token's), else empty.
    public var uid: String
    /// Extra facts the authenticator attached (a bound token's pod), as upstream's `extra`.
    public var extra: [String: [String]]

    public init(name: String, groups: [String], uid: String = "", extra: [String: [String]] = [:]) {
        self.name = name
        self.groups = groups
        self.uid = uid
        self.extra = extra
    }

    /// Members of `system:masters` may do everything, whatever the RBAC objects say (upstream's privileged group).
    public var isAdmin: Bool { groups.contains(Self.mastersGroup) }

    /// A cluster administrator (group `system:masters`).
    public static func admin(_ name: String = "admin") -> UserInfo {
        UserInfo(name: name, groups: [mastersGroup, authenticatedGroup])
    }

    public static let mastersGroup = "system:masters"
    public static let authenticatedGroup = "system:authenticated"
    public static let unauthenticatedGroup = "system:unauthenticated"

    /// The user of a request without credentials, when anonymous requests are allowed.
    public static let anonymous = UserInfo(name: "system:anonymous", groups: [unauthenticatedGroup])

    /// A service account's user: `system:serviceaccount:<ns>:<name>` in `system:serviceaccounts` and
    /// `system:serviceaccounts:<ns>`.
    public static func serviceAccount(namespace: String, name: String, uid: String = "") -> UserInfo {
        UserInfo(
            name: "\(serviceAccountPrefix)\(namespace):\(name)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", authenticatedGroup], uid: uid)
    }

    public static let serviceAccountPrefix = "system:serviceaccount:"

    /// The namespace and name of a service account's user name; nil for every other user.
    public static func serviceAccountName(_ user: String) -> (namespace: String, name: String)? {
        guard user.hasPrefix(serviceAccountPrefix) else { return nil }
        let parts = user.dropFirst(serviceAccountPrefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
