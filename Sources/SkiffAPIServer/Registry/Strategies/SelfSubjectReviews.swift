import SkiffModel

/// `authentication.k8s.io/v1` `selfsubjectreviews` (`kubectl auth whoami`): a create that stores nothing and
/// answers the caller's identity as the authenticator saw it.
enum SelfSubjectReviews {
    static func response(for user: UserInfo) -> JSON {
        [
            "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["creationTimestamp": .null],
            "status": [
                "userInfo": [
                    "username": .string(user.name), "groups": .array(user.groups.map { .string($0) }),
                ]
            ],
        ]
    }
}
