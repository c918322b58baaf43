// Scripts for `nft -f -`. Each script is one transaction: the kernel applies all of it or none of it.
//
// Order matters inside a transaction because every command is checked against the table as the commands before
// it left it: sets and chains are declared before rules and map elements name them, and a chain or set is deleted
// only after every rule and element that referred to it was flushed or deleted earlier in the same script.

extension NFTRuleset {
    /// Replaces the table with `ruleset`, whether or not it exists: for start-up, restarts and recovery.
    ///
    /// Deleting the table also forgets session-affinity entries; established connections keep their NAT in
    /// conntrack.
    public static func fullScript(_ ruleset: NFTRuleset) -> String {
        var lines = ["add table \(family)", "delete table \(family)", "add table \(family)"]
        for name in ruleset.maps.keys.sorted() {
            if let map = ruleset.maps[name] { lines.append(declaration(map: name, map)) }
        }
        for name in ruleset.sets.keys.sorted() {
            if let set = ruleset.sets[name] { lines.append(declaration(set: name, set)) }
        }
        for name in ruleset.chains.keys.sorted() {
            lines.append(declaration(chain: name, ruleset.baseChains[name]))
        }
        for name in ruleset.chains.keys.sorted() {
            for rule in ruleset.chains[name] ?? [] { lines.append("add rule \(family) \(name) \(rule)") }
        }
        for name in ruleset.maps.keys.sorted() {
            for (key, verdict) in (ruleset.maps[name]?.elements ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append(addElement(name, key, verdict))
            }
        }
        return script(lines)
    }

    /// The commands that turn the table `old` describes into `new`, touching only what differs; nil when they are
    /// equal. When the skeleton itself differs (hooks, map types, a set's declaration) it is the full script.
    public static func updateScript(from old: NFTRuleset, to new: NFTRuleset) -> String? {
        guard old != new else { return nil }
        let sameSkeleton =
            old.baseChains == new.baseChains && old.maps.mapValues(\.keyType) == new.maps.mapValues(\.keyType)
            && old.sets.allSatisfy { name, set in new.sets[name].map { $0 == set } ?? true }
        guard sameSkeleton else { return fullScript(new) }

        var lines: [String] = []
        // 1. Declare what is new, so that rules and elements below can name it.
        for name in new.sets.keys.sorted() where old.sets[name] == nil {
            if let set = new.sets[name] { lines.append(declaration(set: name, set)) }
        }
        for name in new.chains.keys.sorted() where old.chains[name] == nil {
            lines.append(declaration(chain: name, new.baseChains[name]))
        }
        // 2. Fill new chains, refill changed ones (dropping their references to whatever goes away).
        for name in new.chains.keys.sorted() {
            let rules = new.chains[name] ?? []
            if let previous = old.chains[name] {
                guard previous != rules else { continue }
                lines.append("flush chain \(family) \(name)")
            }
            for rule in rules { lines.append("add rule \(family) \(name) \(rule)") }
        }
        // 3. Map elements: deletions first, so that a changed verdict is a delete and an add.
        var additions: [String] = []
        for name in new.maps.keys.sorted() {
            let before = old.maps[name]?.elements ?? [:]
            let after = new.maps[name]?.elements ?? [:]
            for (key, verdict) in before.sorted(by: { $0.key < $1.key }) where after[key] != verdict {
                lines.append("delete element \(family) \(name) { \(key) }")
            }
            for (key, verdict) in after.sorted(by: { $0.key < $1.key }) where before[key] != verdict {
                additions.append(addElement(name, key, verdict))
            }
        }
        lines += additions
        // 4. Chains that went away: empty them all first (they may refer to each other), then delete them.
        let removedChains = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
        for name in removedChains where !(old.chains[name] ?? []).isEmpty {
            lines.append("flush chain \(family) \(name)")
        }
        for name in removedChains { lines.append("delete chain \(family) \(name)") }
        // 5. Sets nothing refers to any more.
        for name in old.sets.keys.sorted() where new.sets[name] == nil {
            lines.append("delete set \(family) \(name)")
        }
        return script(lines)
    }

    /// Removes the table if it exists (creating it first makes the delete succeed either way).
    public static let uninstallScript = script(["add table \(family)", "delete table \(family)"])

    /// `ip skiff-proxy`: the family and table every command names.
    private static let family = "ip \(table)"

    private static func script(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

    private static func declaration(map name: String, _ map: VerdictMap) -> String {
        "add map \(family) \(name) { type \(map.keyType) : verdict; }"
    }

    private static func declaration(set name: String, _ set: SetDeclaration) -> String {
        var parts = ["type \(set.type);"]
        if !set.flags.isEmpty { parts.append("flags \(set.flags.joined(separator: ","));") }
        if let timeout = set.timeout { parts.append("timeout \(timeout)s;") }
        return "add set \(family) \(name) { \(parts.joined(separator: " ")) }"
    }

    private static func declaration(chain name: String, _ hook: Hook?) -> String {
        guard let hook else { return "add chain \(family) \(name)" }
        let spec = "type \(hook.type) hook \(hook.hook) priority \(hook.priority); policy accept;"
        return "add chain \(family) \(name) { \(spec) }"
    }

    private static func addElement(_ map: String, _ key: String, _ verdict: String) -> String {
        "add element \(family) \(map) { \(key) : \(verdict) }"
    }
}
