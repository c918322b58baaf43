import Foundation
import NIOCore
import NIOPosix
import SkiffModel
import SkiffTesting
import Testing

@testable import SkiffAPIServer

/// Authorization as clients meet it, on a live TLS server: anonymous access to the public paths only, RBAC on
/// resources and paths with upstream's 403 text, the access reviews `kubectl auth can-i` sends, impersonation,
/// escalation prevention, RBAC validation, Pod Security admission and the audit log.
@Suite(.serialized) struct AuthorizationHTTPTests {
    typealias Answer = ClientCompatibilityTests.Answer

    /// Bearer tokens of the test users (`--token-auth-file` style): an admin, and alice and bob who hold nothing
    /// but what every authenticated user holds.
    static func users(_ configuration: inout APIServerConfiguration) {
        configuration.staticTokens = [
            "secret": .admin(), "alice": UserInfo(name: "alice", groups: [UserInfo.authenticatedGroup]),
            "bob": UserInfo(name: "bob", groups: ["devs", UserInfo.authenticatedGroup]),
        ]
    }

    /// One request; `token` nil sends no credentials.
    static func send(
        _ client: RawWatchClient, _ method: String, _ path: String, token: String?, headers: [String] = [],
        body: JSON? = nil
    ) async throws -> Answer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        var headers = headers
        if body != nil { headers.append("Content-Type: application/json") }
        return try await ClientCompatibilityTests.exchange(
            client, head, headers: headers, body: body?.serialized() ?? [])
    }

    /// Retries `request` until it answers `status` (the RBAC index follows a new binding within milliseconds).
    /// Repeats `request` (2 s at most) until its status ends with `status` and, if given, its message contains
    /// `message`: the authorizer follows RBAC objects by watch, so a binding just made counts a moment later.
    static func eventually(
        _ status: String, message: String? = nil, _ request: () async throws -> Answer
    ) async throws -> Answer {
        func done(_ answer: Answer) -> Bool {
            answer.status.hasSuffix(status)
                && (message.map { (answer.json["message"].stringValue ?? "").contains($0) } ?? true)
        }
        var answer = try await request()
        for _ in 0..<200 where !done(answer) {
            try await Task.sleep(for: .milliseconds(10))
            answer = try await request()
        }
        return answer
    }

    static func bind(
        _ client: RawWatchClient, _ name: String, namespace: String, role: String, user: String
    ) async throws {
        let binding: JSON = [
            "metadata": ["name": .string(name)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": [["kind": "User", "name": .string(user)]],
        ]
        let answer = try await send(
            client, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/\(namespace)/rolebindings", token: "secret",
            body: binding)
        #expect(answer.status == "HTTP/1.1 201 Created", "\(answer.body)")
    }

    @Test func anonymousRequestsReadOnlyHealthAndVersion() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            for path in ["/healthz", "/livez", "/readyz", "/version"] {
                #expect(try await Self.send(client, "GET", path, token: nil).status == "HTTP/1.1 200 OK", "\(path)")
            }
            for path in ["/api", "/apis", "/api/v1/namespaces/default/pods", "/openapi/v3"] {
                let answer = try await Self.send(client, "GET", path, token: nil)
                #expect(answer.status == "HTTP/1.1 401 Unauthorized", "\(path)")
                #expect(answer.json["reason"] == "Unauthorized")
            }
            try await client.close(.tls)
        }
        try await APIConnectionTests.withServer(configure: {
            Self.users(&$0)
            $0.anonymousAuth = false
        }) {
            port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            #expect(try await Self.send(client, "GET", "/healthz", token: nil).status == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.send(client, "GET", "/healthz", token: "alice").status == "HTTP/1.1 200 OK")
            try await client.close(.tls)
        }
    }

    @Test func rbacGrantsWhatBindingsSayAndRefusesTheRestInUpstreamsWords() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            // Every authenticated user reads discovery (system:discovery) and may ask what it may do.
            #expect(try await Self.send(client, "GET", "/api", token: "alice").status == "HTTP/1.1 200 OK")
            let path = try await Self.send(client, "GET", "/metrics", token: "alice")
            #expect(path.status == "HTTP/1.1 403 Forbidden")
            #expect(path.json["message"] == "forbidden: User \"alice\" cannot get path \"/metrics\"")
            let pods = try await Self.send(client, "GET", "/api/v1/namespaces/default/pods", token: "alice")
            #expect(pods.status == "HTTP/1.1 403 Forbidden")
            #expect(
                pods.json["message"]
                    == "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
            )
            #expect(pods.json["details"]["kind"] == "pods")

            try await Self.bind(
                client, "alice-view", namespace: "default", role: "system:aggregate-to-view", user: "alice")
            let granted = try await Self.eventually("200 OK") {
                try await Self.send(client, "GET", "/api/v1/namespaces/default/pods", token: "alice")
            }
            #expect(granted.status == "HTTP/1.1 200 OK")
            // view does not read secrets, and the binding holds in its namespace only.
            for path in ["/api/v1/namespaces/default/secrets", "/api/v1/namespaces/kube-system/pods"] {
                #expect(try await Self.send(client, "GET", path, token: "alice").status == "HTTP/1.1 403 Forbidden")
            }
            // A group binding reaches its members; a binding to a missing role grants nothing and breaks nothing.
            try await Self.bind(client, "devs-ghost", namespace: "default", role: "no-such-role", user: "carol")
            try await Self.bind(
                client, "devs-edit", namespace: "default", role: "system:aggregate-to-edit", user: "nobody")
            let devs: JSON = [
                "metadata": ["name": "devs-view"],
                "roleRef": [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:aggregate-to-view",
                ],
                "subjects": [["kind": "Group", "name": "devs"]],
            ]
            _ = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", token: "secret",
                body: devs)
            let bob = try await Self.eventually("200 OK") {
                try await Self.send(client, "GET", "/api/v1/namespaces/default/configmaps", token: "bob")
            }
            #expect(bob.status == "HTTP/1.1 200 OK")
            // Deleting the binding takes the grant away.
            _ = try await Self.send(
                client, "DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/alice-view",
                token: "secret")
            let revoked = try await Self.eventually("403 Forbidden") {
                try await Self.send(client, "GET", "/api/v1/namespaces/default/pods", token: "alice")
            }
            #expect(revoked.status == "HTTP/1.1 403 Forbidden")
            try await client.close(.tls)
        }
    }

    @Test func accessReviewsAnswerWhatTheAuthorizerWouldDecide() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            try await Self.bind(
                client, "alice-view", namespace: "default", role: "system:aggregate-to-view", user: "alice")
            func review(_ verb: String, token: String = "alice") async throws -> Answer {
                try await Self.send(
                    client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", token: token,
                    body: [
                        "spec": [
                            "resourceAttributes": ["namespace": "default", "verb": .string(verb), "resource": "pods"]
                        ]
                    ])
            }
            var list = try await review("list")
            for _ in 0..<200 where list.json["status"]["allowed"] != true {
                try await Task.sleep(for: .milliseconds(10))
                list = try await review("list")
            }
            #expect(list.status == "HTTP/1.1 201 Created")
            #expect(list.json["kind"] == "SelfSubjectAccessReview")
            #expect(list.json["status"]["allowed"] == true)
            #expect(try await review("delete").json["status"]["allowed"] == false)
            let nonResource = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", token: "alice",
                body: ["spec": ["nonResourceAttributes": ["path": "/version", "verb": "get"]]])
            #expect(nonResource.json["status"]["allowed"] == true)
            let empty = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", token: "alice",
                body: ["spec": .emptyObject])
            #expect(empty.status == "HTTP/1.1 422 Unprocessable Entity")

            let rules = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", token: "alice",
                body: ["spec": ["namespace": "default"]])
            let resourceRules = rules.json["status"]["resourceRules"].arrayValue ?? []
            #expect(
                resourceRules.contains {
                    $0["resources"].arrayValue?.contains("pods") == true && $0["verbs"] == ["get", "list", "watch"]
                })
            #expect(
                (rules.json["status"]["nonResourceRules"].arrayValue ?? []).contains {
                    $0["nonResourceURLs"].arrayValue?.contains("/version") == true
                })

            let question: JSON = [
                "spec": [
                    "user": "alice", "resourceAttributes": ["namespace": "default", "verb": "get", "resource": "pods"],
                ]
            ]
            let asked = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", token: "secret", body: question)
            #expect(asked.json["status"]["allowed"] == true)
            // Asking about others takes a permission of its own.
            let nosy = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", token: "alice", body: question)
            #expect(nosy.status == "HTTP/1.1 403 Forbidden")
            let elsewhere = try await Self.send(
                client, "POST", "/apis/authorization.k8s.io/v1/namespaces/kube-system/localsubjectaccessreviews",
                token: "secret", body: question)
            #expect(elsewhere.status == "HTTP/1.1 400 Bad Request")
            #expect(elsewhere.json["message"] == "spec.resourceAttributes.namespace must match namespace: kube-system")
            try await client.close(.tls)
        }
    }

    @Test func impersonationActsAsAnotherUserWhenTheCallerMayImpersonate() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            let asAlice = try await Self.send(
                client, "GET", "/api/v1/namespaces/default/secrets", token: "secret",
                headers: ["Impersonate-User: alice"])
            #expect(asAlice.status == "HTTP/1.1 403 Forbidden")
            #expect(asAlice.json["message"].stringValue?.contains("User \"alice\" cannot list") == true)
            let whoami = try await Self.send(
                client, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token: "secret",
                headers: ["Impersonate-User: system:serviceaccount:apps:builder"], body: .emptyObject)
            #expect(whoami.json["status"]["userInfo"]["username"] == "system:serviceaccount:apps:builder")
            #expect(
                whoami.json["status"]["userInfo"]["groups"]
                    == ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"])
            let grouped = try await Self.send(
                client, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token: "secret",
                headers: ["Impersonate-User: carol", "Impersonate-Group: devs", "Impersonate-Group: ops"],
                body: .emptyObject)
            #expect(grouped.json["status"]["userInfo"]["groups"] == ["devs", "ops", "system:authenticated"])
            let refused = try await Self.send(
                client, "GET", "/api/v1/namespaces/default/pods", token: "alice", headers: ["Impersonate-User: bob"])
            #expect(refused.status == "HTTP/1.1 403 Forbidden")
            #expect(
                refused.json["message"]
                    == "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
            )
            let groupOnly = try await Self.send(
                client, "GET", "/api/v1/namespaces/default/pods", token: "secret", headers: ["Impersonate-Group: devs"])
            #expect(groupOnly.status == "HTTP/1.1 400 Bad Request")
            try await client.close(.tls)
        }
    }

    @Test func rolesAndBindingsCannotGrantWhatTheirAuthorDoesNotHold() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            let manager: JSON = [
                "metadata": ["name": "binding-manager"],
                "rules": [
                    [
                        "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"],
                        "verbs": ["create"],
                    ]
                ],
            ]
            _ = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", token: "secret", body: manager)
            try await Self.bind(
                client, "alice-view", namespace: "default", role: "system:aggregate-to-view", user: "alice")
            try await Self.bind(
                client, "alice-edit", namespace: "default", role: "system:aggregate-to-edit", user: "alice")
            try await Self.bind(client, "alice-manager", namespace: "default", role: "binding-manager", user: "alice")
            let toAdmin: JSON = [
                "metadata": ["name": "bob-admin"],
                "roleRef": [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:aggregate-to-admin",
                ],
                "subjects": [["kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"]],
            ]
            let path = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"
            // Until alice's binding-manager role counts, the 403 is the plain RBAC one; then it is the escalation's.
            let refused = try await Self.eventually("403 Forbidden", message: "is attempting to grant") {
                try await Self.send(client, "POST", path, token: "alice", body: toAdmin)
            }
            #expect(refused.status == "HTTP/1.1 403 Forbidden")
            let message = refused.json["message"].stringValue ?? ""
            #expect(
                message.hasPrefix(
                    "rolebindings.rbac.authorization.k8s.io \"bob-admin\" is forbidden: user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
                ), "\(message)")
            #expect(message.contains("{APIGroups:[\"rbac.authorization.k8s.io\"], Resources:[\"rolebindings\"]"))
            // Binding what alice holds is fine; so is binding admin once she may `bind` it.
            var toView = toAdmin
            toView["metadata"]["name"] = "bob-view"
            toView["roleRef"]["name"] = "system:aggregate-to-view"
            #expect(
                try await Self.send(client, "POST", path, token: "alice", body: toView).status == "HTTP/1.1 201 Created"
            )
            let binder: JSON = [
                "metadata": ["name": "admin-binder"],
                "rules": [
                    [
                        "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"],
                        "resourceNames": ["system:aggregate-to-admin"],
                    ]
                ],
            ]
            _ = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", token: "secret", body: binder)
            try await Self.bind(client, "alice-binder", namespace: "default", role: "admin-binder", user: "alice")
            let bound = try await Self.eventually("201 Created") {
                try await Self.send(client, "POST", path, token: "alice", body: toAdmin)
            }
            #expect(bound.status == "HTTP/1.1 201 Created")
            // A Role with more than its author holds is refused too.
            let role: JSON = [
                "metadata": ["name": "node-killer"],
                "rules": [["apiGroups": [""], "resources": ["nodes"], "verbs": ["delete"]]],
            ]
            let escalating = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", token: "alice",
                body: role)
            #expect(escalating.status == "HTTP/1.1 403 Forbidden")
            #expect(
                escalating.json["message"].stringValue?.contains(
                    "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"delete\"]}") == true)
            try await client.close(.tls)
        }
    }

    @Test func malformedRBACObjectsAreInvalidWithUpstreamsFieldPaths() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            let binding: JSON = [
                "metadata": ["name": "bad"],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Team", "name": "view"],
                "subjects": [["kind": "Robot", "name": "r2"], ["kind": "ServiceAccount"]],
            ]
            let answer = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", token: "secret", body: binding
            )
            #expect(answer.status == "HTTP/1.1 422 Unprocessable Entity")
            let fields = (answer.json["details"]["causes"].arrayValue ?? []).compactMap { $0["field"].stringValue }
            #expect(fields == ["roleRef.kind", "subjects[0].kind", "subjects[1].name", "subjects[1].namespace"])
            #expect(
                answer.json["details"]["causes"][0]["message"]
                    == "Unsupported value: \"Team\": supported values: \"ClusterRole\"")
            let role: JSON = [
                "metadata": ["name": "system:bad"],
                "rules": [["verbs": [], "nonResourceURLs": ["/healthz"], "resources": ["pods"]]],
            ]
            let invalid = try await Self.send(
                client, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", token: "secret",
                body: role)
            #expect(invalid.status == "HTTP/1.1 422 Unprocessable Entity")
            #expect(
                invalid.json["message"]
                    == "Role.rbac.authorization.k8s.io \"system:bad\" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs, rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: rules cannot apply to both regular resources and non-resource URLs]"
            )
            try await client.close(.tls)
        }
    }

    @Test func podSecurityRefusesByEnforceAndWarnsByWarn() async throws {
        try await APIConnectionTests.withServer(configure: Self.users) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            let namespace: JSON = [
                "metadata": [
                    "name": "locked",
                    "labels": [
                        "pod-security.kubernetes.io/enforce": "baseline",
                        "pod-security.kubernetes.io/warn": "restricted",
                    ],
                ]
            ]
            #expect(
                try await Self.send(client, "POST", "/api/v1/namespaces", token: "secret", body: namespace).status
                    == "HTTP/1.1 201 Created")
            let privileged: JSON = [
                "metadata": ["name": "root"],
                "spec": ["containers": [["name": "c", "image": "busybox", "securityContext": ["privileged": true]]]],
            ]
            let refused = try await Self.send(
                client, "POST", "/api/v1/namespaces/locked/pods", token: "secret", body: privileged)
            #expect(refused.status == "HTTP/1.1 403 Forbidden")
            #expect(
                refused.json["message"]
                    == "pods \"root\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"c\" must not set securityContext.privileged=true)"
            )
            let plain: JSON = [
                "metadata": ["name": "plain"], "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ]
            let warned = try await Self.send(
                client, "POST", "/api/v1/namespaces/locked/pods", token: "secret", body: plain)
            #expect(warned.status == "HTTP/1.1 201 Created")
            #expect(warned.head.contains("Warning: 299 - \"would violate PodSecurity \\\"restricted:latest\\\": "))
            let badLabel: JSON = [
                "metadata": ["name": "typo", "labels": ["pod-security.kubernetes.io/enforce": "strict"]]
            ]
            let invalid = try await Self.send(client, "POST", "/api/v1/namespaces", token: "secret", body: badLabel)
            #expect(invalid.status == "HTTP/1.1 422 Unprocessable Entity")
            #expect(
                invalid.json["details"]["causes"][0]["field"]
                    == "metadata.labels[pod-security.kubernetes.io/enforce]")
            try await client.close(.tls)
        }
    }

    @Test func theAuditLogRecordsWhoDidWhatWithTheAnswer() async throws {
        let directory = try TemporaryDirectory("skiff-audit")
        defer { directory.remove() }
        let log = AuditLog(
            settings: AuditLogSettings(path: directory.file("audit.log"), maxBytes: 1 << 20, maxBackups: 1),
            logger: .init(label: "audit"))
        try await APIConnectionTests.withServer(
            configure: {
                Self.users(&$0)
                $0.auditLog = log
            }, services: [log]
        ) { port, store in
            let client = try await ClientCompatibilityTests.connect(port, store)
            _ = try await Self.send(client, "GET", "/api/v1/namespaces/default/secrets/db?x=1", token: "alice")
            _ = try await Self.send(client, "GET", "/api/v1/namespaces/default/configmaps", token: "secret")
            let audited: JSON = [
                "metadata": ["name": "audited", "labels": ["pod-security.kubernetes.io/audit": "restricted"]]
            ]
            _ = try await Self.send(client, "POST", "/api/v1/namespaces", token: "secret", body: audited)
            let pod: JSON = ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "busybox"]]]]
            let created = try await Self.send(
                client, "POST", "/api/v1/namespaces/audited/pods", token: "secret", body: pod)
            #expect(created.status == "HTTP/1.1 201 Created")
            #expect(!created.head.contains("Warning:"), "audit mode warns nobody")
            try await client.close(.tls)
            var lines: [JSON] = []
            for _ in 0..<200 where lines.count < 4 {
                try await Task.sleep(for: .milliseconds(10))
                let text = (try? String(contentsOfFile: directory.file("audit.log"), encoding: .utf8)) ?? ""
                lines = text.split(separator: "\n").compactMap { try? JSON(parsing: Array($0.utf8)) }
            }
            try #require(lines.count == 4)
            let refused = lines[0]
            #expect(refused["apiVersion"] == "audit.k8s.io/v1" && refused["kind"] == "Event")
            #expect(refused["level"] == "Metadata" && refused["stage"] == "ResponseComplete")
            #expect(refused["verb"] == "get" && refused["requestURI"] == "/api/v1/namespaces/default/secrets/db?x=1")
            #expect(refused["user"]["username"] == "alice")
            #expect(refused["objectRef"]["resource"] == "secrets" && refused["objectRef"]["name"] == "db")
            #expect(refused["responseStatus"]["code"] == 403)
            #expect(refused["annotations"]["authorization.k8s.io/decision"] == "forbid")
            #expect(refused["sourceIPs"] == ["127.0.0.1"])
            #expect(lines[1]["verb"] == "list" && lines[1]["responseStatus"]["code"] == 200)
            #expect(lines[1]["annotations"]["authorization.k8s.io/decision"] == "allow")
            // Pod Security's audit mode: the violation is in the audit event, not in the response.
            let violations = lines[3]["annotations"]["pod-security.kubernetes.io/audit-violations"].stringValue ?? ""
            #expect(lines[3]["objectRef"]["resource"] == "pods" && lines[3]["verb"] == "create")
            #expect(violations.hasPrefix("would violate PodSecurity \"restricted:latest\": "), "\(lines[3])")
        }
    }

    @Test func theAuditLogRotatesBySizeAndKeepsTheNewestBackups() throws {
        let directory = try TemporaryDirectory("skiff-audit-rotate")
        defer { directory.remove() }
        var file = try AuditLogFile(
            settings: AuditLogSettings(path: directory.file("audit.log"), maxBytes: 100, maxBackups: 2))
        for index in 0..<5 {
            try file.write(Array(String(repeating: "\(index)", count: 60).utf8) + [10])
            Thread.sleep(forTimeInterval: 0.002)  // distinct backup names (millisecond stamps)
        }
        file.close()
        let backups = AuditLogFile.backups(of: directory.file("audit.log"))
        #expect(backups.count == 2)
        #expect(backups.allSatisfy { $0.hasSuffix(".log") && $0.contains("/audit-") })
        let current = try String(contentsOfFile: directory.file("audit.log"), encoding: .utf8)
        #expect(current == String(repeating: "4", count: 60) + "\n")
        #expect(try String(contentsOfFile: backups[1], encoding: .utf8).hasPrefix("3333"))
    }
}
