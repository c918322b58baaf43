extension PodSecurityCheck {
    /// Baseline: `seLinuxOptions` (pod or containers) may set only a container type (`container_engine_t` too from
    /// 1.31) and never a user or role.
    static let seLinuxOptions = PodSecurityCheck(id: "seLinuxOptions", level: .baseline, since: 0) { pod, minor in
        var allowedTypes: Set = ["", "container_t", "container_init_t", "container_kvm_t"]
        if minor >= 31 { allowedTypes.insert("container_engine_t") }
        // Each setter's options (pod first, then containers) and what is wrong with them.
        let setters = [(nil, pod.securityContext)] + pod.containers.map { ($0.entryName, $0["securityContext"]) }
        var badTypes: [String] = []
        var setsUser = false
        var setsRole = false
        var podBad = false
        var badContainers: [String] = []
        for (container, securityContext) in setters {
            let options = securityContext["seLinuxOptions"]
            guard !options.isNull else { continue }
            let type = options["type"].podSecurityText ?? ""
            let typeBad = !allowedTypes.contains(type)
            let userSet = !(options["user"].podSecurityText ?? "").isEmpty
            let roleSet = !(options["role"].podSecurityText ?? "").isEmpty
            guard typeBad || userSet || roleSet else { continue }
            if typeBad { badTypes.append(type) }
            setsUser = setsUser || userSet
            setsRole = setsRole || roleSet
            if let container { badContainers.append(container) } else { podBad = true }
        }
        var who: [String] = podBad ? ["pod"] : []
        if !badContainers.isEmpty { who.append(PodSecurityText.containers(badContainers)) }
        guard !who.isEmpty else { return nil }

        var problems: [String] = []
        let types = PodSecurityText.sortedSet(badTypes)
        if !types.isEmpty {
            problems.append(
                PodSecurityText.pluralize("type", "types", types.count) + " " + PodSecurityText.joinQuote(types))
        }
        if setsUser { problems.append("user may not be set") }
        if setsRole { problems.append("role may not be set") }
        return PodSecurityViolation(
            reason: "seLinuxOptions",
            detail: who.joined(separator: " and ") + " set forbidden securityContext.seLinuxOptions: "
                + problems.joined(separator: "; "))
    }
}
