import SkiffModel

/// `authentication.k8s.io/v1` `selfsubjectreviews` (`kubectl auth whoami`): a create that stores nothing and
/// answers the caller's identity as the authenticator saw it.
enum SelfSubjectReviews {
    static func response(for user: UserInfo) -> JSON {
        var info: JSON = ["username": .string(user.name)]
        if !user.uid.isEmpty { info["uid"] = .string(user.uid) }
        info["groups"] = .array(user.groups.map { .string($0) })
        if !user.extra.isEmpty { info["extra"] = AccessReviews.extraJSON(user.extra) }
        return [
            "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["creationTimestamp": .null], "status": ["userInfo": info],
        ]
    }
}
