/// Whether one set of rules grants everything another does (upstream's `validation.Covers`): what stops a user from
/// granting, through a Role or a binding, permissions they do not hold themselves.
public enum RuleCoverage {
    /// The parts of `servant` that no rule of `owner` covers, compacted as upstream reports them; empty when covered.
    public static func missing(owner: [PolicyRule], servant: [PolicyRule]) -> [PolicyRule] {
        var missing: [PolicyRule] = []
        for rule in servant {
            for atom in breakdown(rule) where !owner.contains(where: { covers($0, atom) }) {
                missing.append(atom)
            }
        }
        return compact(missing)
    }

    /// One rule per group × resource × verb × name, and per non-resource URL × verb (upstream's `BreakdownRule`).
    static func breakdown(_ rule: PolicyRule) -> [PolicyRule] {
        var atoms: [PolicyRule] = []
        for group in rule.apiGroups {
            for resource in rule.resources {
                for verb in rule.verbs {
                    if rule.resourceNames.isEmpty {
                        atoms.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource]))
                    } else {
                        for name in rule.resourceNames {
                            atoms.append(
                                PolicyRule(
                                    verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name]))
                        }
                    }
                }
            }
        }
        for url in rule.nonResourceURLs {
            for verb in rule.verbs { atoms.append(PolicyRule(verbs: [verb], nonResourceURLs: [url])) }
        }
        return atoms
    }

    /// Upstream's `ruleCovers`.
    static func covers(_ owner: PolicyRule, _ sub: PolicyRule) -> Bool {
        let verbs = owner.verbs.contains("*") || sub.verbs.allSatisfy(owner.verbs.contains)
        let groups = owner.apiGroups.contains("*") || sub.apiGroups.allSatisfy(owner.apiGroups.contains)
        let names =
            sub.resourceNames.isEmpty
            ? owner.resourceNames.isEmpty
            : owner.resourceNames.isEmpty || sub.resourceNames.allSatisfy(owner.resourceNames.contains)
        return verbs && groups && names && resourcesCover(owner.resources, sub.resources)
            && sub.nonResourceURLs.allSatisfy { path in owner.nonResourceURLs.contains { urlCovers($0, path) } }
    }

    static func resourcesCover(_ owner: [String], _ wanted: [String]) -> Bool {
        if owner.contains("*") { return true }
        for resource in wanted where !owner.contains(resource) {
            guard let slash = resource.firstIndex(of: "/") else { return false }
            if !owner.contains("*" + resource[slash...]) { return false }
        }
        return true
    }

    static func urlCovers(_ owner: String, _ path: String) -> Bool {
        guard owner != path else { return true }
        guard owner.hasSuffix("*") else { return false }
        var prefix = Substring(owner)
        while prefix.last == "*" { prefix = prefix.dropLast() }
        return path.hasPrefix(prefix)
    }

    /// Merges single-resource rules that differ only in their verbs (upstream's `CompactRules`).
    static func compact(_ rules: [PolicyRule]) -> [PolicyRule] {
        var order: [PolicyRule] = []
        var merged: [PolicyRule: Int] = [:]
        for rule in rules {
            guard rule.apiGroups.count == 1, rule.resources.count == 1, rule.resourceNames.isEmpty,
                rule.nonResourceURLs.isEmpty
            else {
                order.append(rule)
                continue
            }
            let key = PolicyRule(verbs: [], apiGroups: rule.apiGroups, resources: rule.resources)
            if let index = merged[key] {
                for verb in rule.verbs where !order[index].verbs.contains(verb) { order[index].verbs.append(verb) }
            } else {
                merged[key] = order.count
                order.append(rule)
            }
        }
        return order
    }

    /// Upstream's `CompactString`: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create" "delete"]}`.
    public static func compactString(_ rule: PolicyRule) -> String {
        func quoted(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]" }
        var parts: [String] = []
        if !rule.apiGroups.isEmpty { parts.append("APIGroups:" + quoted(rule.apiGroups)) }
        if !rule.resources.isEmpty { parts.append("Resources:" + quoted(rule.resources)) }
        if !rule.nonResourceURLs.isEmpty { parts.append("NonResourceURLs:" + quoted(rule.nonResourceURLs)) }
        if !rule.resourceNames.isEmpty { parts.append("ResourceNames:" + quoted(rule.resourceNames)) }
        if !rule.verbs.isEmpty { parts.append("Verbs:" + quoted(rule.verbs)) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Upstream's refusal text: `user "u" (groups=["g"]) is attempting to grant RBAC permissions not currently
    /// held:` followed by the missing rules, one per line, sorted.
    public static func escalationMessage(user: UserInfo, missing: [PolicyRule]) -> String {
        let groups = "[" + user.groups.map { "\"\($0)\"" }.joined(separator: " ") + "]"
        let lines = Set(missing.map(compactString)).sorted()
        return "user \"\(user.name)\" (groups=\(groups)) is attempting to grant RBAC permissions not currently held:\n"
            + lines.joined(separator: "\n")
    }
}
