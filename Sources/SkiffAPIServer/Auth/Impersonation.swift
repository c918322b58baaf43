import Foundation
import HTTPTypes
import SkiffModel

/// `kubectl --as USER --as-group G --as-uid U`: the `Impersonate-*` headers replace the authenticated user with
/// another, when the caller may `impersonate` each part (upstream's `WithImpersonation`): a user (`users`, or
/// `serviceaccounts` in its namespace for `system:serviceaccount:ns:name`), each group (`groups`), the uid
/// (`uids` in `authentication.k8s.io`) and each extra value (`userextras/<key>` in `authentication.k8s.io`).
enum Impersonation {
    static let userHeader = HTTPField.Name("Impersonate-User")!
    static let groupHeader = HTTPField.Name("Impersonate-Group")!
    static let uidHeader = HTTPField.Name("Impersonate-Uid")!
    static let extraPrefix = "impersonate-extra-"

    /// The user the request acts as: `user` itself without impersonation headers.
    static func actingUser(
        _ headers: HTTPFields, user: UserInfo, authorizer: RequestAuthorizer
    ) async throws(APIError) -> UserInfo {
        let name = headers[userHeader]
        let groups = headers[values: groupHeader]
        let uid = headers[uidHeader]
        var extra: [String: [String]] = [:]
        for field in headers where field.name.canonicalName.hasPrefix(extraPrefix) {
            let key = String(field.name.canonicalName.dropFirst(extraPrefix.count))
            extra[key.removingPercentEncoding ?? key, default: []].append(field.value)
        }
        guard let name, !name.isEmpty else {
            if !groups.isEmpty || uid != nil || !extra.isEmpty {
                throw APIError.badRequest(
                    "requested impersonation of groups, uid or extra fields without impersonating a user")
            }
            return user
        }
        func check(_ resource: String, group: String = "", namespace: String? = nil, name: String, sub: String? = nil)
            async throws(APIError)
        {
            let attributes = RequestAttributes(
                user: user, verb: "impersonate", group: group, resource: resource, subresource: sub,
                namespace: namespace, name: name)
            try await authorizer.authorize(attributes)
        }
        var actingGroups = groups
        if let account = UserInfo.serviceAccountName(name) {
            try await check("serviceaccounts", namespace: account.namespace, name: account.name)
            if groups.isEmpty {
                actingGroups = ["system:serviceaccounts", "system:serviceaccounts:\(account.namespace)"]
            }
        } else {
            try await check("users", name: name)
        }
        for group in groups { try await check("groups", name: group) }
        if let uid { try await check("uids", group: "authentication.k8s.io", name: uid) }
        for (key, values) in extra {
            for value in values { try await check("userextras", group: "authentication.k8s.io", name: value, sub: key) }
        }
        if name == UserInfo.anonymous.name {
            if !actingGroups.contains(UserInfo.unauthenticatedGroup) {
                actingGroups.append(UserInfo.unauthenticatedGroup)
            }
        } else if !actingGroups.contains(UserInfo.authenticatedGroup),
            !actingGroups.contains(UserInfo.unauthenticatedGroup)
        {
            actingGroups.append(UserInfo.authenticatedGroup)
        }
        return UserInfo(name: name, groups: actingGroups, uid: uid ?? "", extra: extra)
    }
}
