import ArgumentParser
import Foundation
import Logging
import SkiffAPIServer
import SkiffControllers
import SkiffModel
import SkiffStore

/// `skiff-bench authz`: the cost of one RBAC decision from the in-memory index, with the bootstrap policy plus
/// `roles` Roles and `bindings` RoleBindings and ClusterRoleBindings, over a mix of allowed and refused requests;
/// the anchor, measured in the same run, is one point read of the SQLite store (what an authorizer reading its
/// bindings from the store would pay at the very least, per binding).
struct AuthorizationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "authz")

    @Option var roles = 1_000
    @Option var bindings = 2_000
    @Option var namespaces = 100
    @Option var decisions = 2_000_000
    @Option(help: "Folder for the SQLite database of the anchor.") var dir: String

    func run() async throws {
        let index = RBACIndex()
        let clock = ContinuousClock()
        let built = clock.now
        for (kind, objects) in [
            (RBACPolicy.Kind.clusterRole, BootstrapPolicy.clusterRoles),
            (.clusterRoleBinding, BootstrapPolicy.clusterRoleBindings), (.role, BootstrapPolicy.roles),
            (.roleBinding, BootstrapPolicy.roleBindings),
        ] {
            for object in objects {
                var object = object
                // What the aggregation controller does on a live server: admin, edit and view gather their parts.
                if kind == .clusterRole, !object["aggregationRule"].isNull {
                    object["rules"] = .array(
                        ClusterRoleAggregation.aggregatedRules(of: object, from: BootstrapPolicy.clusterRoles).map(
                            \.json))
                }
                index.apply(kind, object: object, deleted: false)
            }
        }
        let resources = ["pods", "configmaps", "secrets", "services", "deployments", "jobs", "leases", "endpoints"]
        for number in 0..<roles {
            let namespace = "ns-\(number % namespaces)"
            let rules: [JSON] = (0..<4).map { offset in
                [
                    "apiGroups": [""], "resources": [.string(resources[(number + offset) % resources.count])],
                    "verbs": offset == 0 ? ["get", "list", "watch"] : ["get", "create", "update"],
                ]
            }
            index.apply(
                .role,
                object: [
                    "metadata": ["name": .string("role-\(number)"), "namespace": .string(namespace)],
                    "rules": .array(rules),
                ],
                deleted: false)
        }
        for number in 0..<bindings {
            let namespace = "ns-\(number % namespaces)"
            let subject: JSON =
                switch number % 3 {
                case 0:
                    ["kind": "ServiceAccount", "name": .string("app-\(number % 50)"), "namespace": .string(namespace)]
                case 1: ["kind": "User", "name": .string("user-\(number % 200)")]
                default: ["kind": "Group", "name": .string("team-\(number % 20)")]
                }
            let roleRef: JSON =
                number % 4 == 0
                ? [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": number % 8 == 0 ? "view" : "edit",
                ]
                : [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": .string("role-\(Self.role(number, roles, namespaces))"),
                ]
            index.apply(
                .roleBinding,
                object: [
                    "metadata": ["name": .string("binding-\(number)"), "namespace": .string(namespace)],
                    "roleRef": roleRef, "subjects": [subject],
                ], deleted: false)
        }
        let buildTime = clock.now - built
        let counts = index.policy.counts
        print(
            "index: \(counts.roles) Roles, \(counts.clusterRoles) ClusterRoles, \(counts.bindings) bindings, built in \(buildTime)"
        )

        // Requests: half ask what one of the bindings grants (allowed), half the same in another namespace or with a
        // verb no role grants (refused: every binding of the user and its groups is looked at).
        var requests: [RequestAttributes] = []
        for number in 0..<1_000 {
            let binding = (number * 7) % bindings
            let namespace = "ns-\(binding % namespaces)"
            let user: UserInfo =
                switch binding % 3 {
                case 0: .serviceAccount(namespace: namespace, name: "app-\(binding % 50)")
                case 1: UserInfo(name: "user-\(binding % 200)", groups: [UserInfo.authenticatedGroup])
                default:
                    UserInfo(name: "member-\(number)", groups: ["team-\(binding % 20)", UserInfo.authenticatedGroup])
                }
            let role = Self.role(binding, roles, namespaces)
            let granted = binding % 4 == 0 ? "pods" : resources[role % resources.count]
            let refused = number % 2 == 1
            requests.append(
                RequestAttributes(
                    user: user, verb: refused && number % 4 == 3 ? "deletecollection" : "get", group: "",
                    resource: granted, namespace: refused && number % 4 == 1 ? "elsewhere" : namespace, name: "x"))
        }
        var allowed = 0
        let started = clock.now
        for number in 0..<decisions where index.policy.allows(requests[number % requests.count]) { allowed += 1 }
        let elapsed = clock.now - started
        let perDecision = elapsed / decisions
        print(
            "decision (index copy + evaluation): \(Self.nanoseconds(perDecision)) ns over \(decisions) decisions, \(allowed * 100 / decisions) % allowed"
        )

        // Anchor: one SQLite point read of a RoleBinding-sized value.
        var quiet = Logger(label: "bench")
        quiet.logLevel = .warning
        let store = try SQLiteStore(path: "\(dir)/authz-\(UUID().uuidString.prefix(6)).db", logger: quiet)
        defer { store.close() }
        let value = Array(
            #"{"metadata":{"name":"binding-1","namespace":"ns-1"},"roleRef":{"kind":"Role","name":"role-1"},"subjects":[{"kind":"User","name":"user-1"}]}"#
                .utf8)
        _ = try await store.create("/registry/rbac.authorization.k8s.io/rolebindings/ns-1/binding-1", value: value)
        let reads = 100_000
        let readStart = clock.now
        for _ in 0..<reads {
            _ = try await store.get("/registry/rbac.authorization.k8s.io/rolebindings/ns-1/binding-1")
        }
        let perRead = (clock.now - readStart) / reads
        print("anchor: one SQLite point read: \(Self.nanoseconds(perRead)) ns")
        print(
            String(
                format: "decision / one store read: %.3f (target: a decision ≤ 2000 ns)",
                Double(Self.nanoseconds(perDecision)) / Double(Self.nanoseconds(perRead))))
    }

    /// The Role binding `number` refers to: one in the binding's namespace (`role-k` lives in `ns-(k % namespaces)`).
    static func role(_ number: Int, _ roles: Int, _ namespaces: Int) -> Int {
        number % namespaces + namespaces * ((number / namespaces) % max(1, roles / namespaces))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
