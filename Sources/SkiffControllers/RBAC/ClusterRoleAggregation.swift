import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Keeps every ClusterRole with an `aggregationRule` holding the union of the rules of the ClusterRoles its
/// selectors match (upstream's clusterrole-aggregation controller): `admin`, `edit` and `view` pick up the
/// `system:aggregate-to-*` roles and any ClusterRole a user or an operator labels
/// `rbac.authorization.k8s.io/aggregate-to-view: "true"`.
public struct ClusterRoleAggregation: Service {
    let api: any ClusterAPI
    let logger: Logger

    public init(api: any ClusterAPI, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    public func run() async throws {
        let type = api.type(RBACStrategy.group, "v1", "clusterroles")
        let roles = Informer(api: api, type: type, logger: logger)
        // Any change may feed any aggregated role: queue them all (there are a handful).
        let watch = Controller.Watch(roles) { _, queue in
            for role in roles.objects where !role["aggregationRule"].isNull {
                if let name = role.name { queue.add(name) }
            }
        }
        let controller = Controller(
            Controller.Configuration(name: "clusterrole-aggregation-controller"), watches: [watch], logger: logger
        ) { name, _ in
            guard var role = roles.get(name), !role["aggregationRule"].isNull else { return .done }
            let rules = Self.aggregatedRules(of: role, from: roles.objects)
            guard rules != PolicyRule.rules(of: role) else { return .done }
            role["rules"] = .array(rules.map(\.json))
            _ = try await api.update(
                type, namespace: nil, object: role, subresource: nil, fieldManager: "clusterrole-aggregation-controller"
            )
            return .done
        }
        try await controller.run()
    }

    /// The rules of every other ClusterRole a selector matches, selector by selector and role by role in name
    /// order, each rule once.
    public static func aggregatedRules(of role: JSON, from all: [JSON]) -> [PolicyRule] {
        let sorted = all.sorted { ($0.name ?? "") < ($1.name ?? "") }
        var rules: [PolicyRule] = []
        for selectorJSON in role["aggregationRule"]["clusterRoleSelectors"].arrayValue ?? [] {
            guard let selector = try? LabelSelector(labelSelector: selectorJSON) else { continue }
            for other in sorted where other.name != role.name && selector.matches(object: other) {
                for rule in PolicyRule.rules(of: other) where !rules.contains(rule) { rules.append(rule) }
            }
        }
        return rules
    }
}
