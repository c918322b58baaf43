extension PodSecurityCheck {
    /// Baseline: AppArmor may not be turned off or overridden beyond the runtime default and local profiles, by
    /// `securityContext.appArmorProfile.type` (pod or containers: `RuntimeDefault` or `Localhost`) or by the
    /// deprecated `container.apparmor.security.beta.kubernetes.io/*` annotations (`runtime/default`, `localhost/*`
    /// or empty).
    static let appArmorProfile = PodSecurityCheck(id: "appArmorProfile", level: .baseline, since: 0) { pod, _ in
        let allowedTypes: Set = ["RuntimeDefault", "Localhost"]
        var setters: [String] = []
        var badValues: [String] = []
        let podProfile = pod.securityContext["appArmorProfile"]
        if !podProfile.isNull {
            let type = podProfile["type"].podSecurityText ?? ""
            if !allowedTypes.contains(type) {
                setters.append("pod")
                badValues.append(type)
            }
        }
        var badContainers: [String] = []
        for container in pod.containers {
            let profile = container["securityContext"]["appArmorProfile"]
            guard !profile.isNull else { continue }
            let type = profile["type"].podSecurityText ?? ""
            if !allowedTypes.contains(type) {
                badContainers.append(container.entryName)
                badValues.append(type)
            }
        }
        if !badContainers.isEmpty { setters.append(PodSecurityText.containers(badContainers)) }

        let prefix = "container.apparmor.security.beta.kubernetes.io/"
        var annotations: [String] = []
        for (key, value) in pod.metadata["annotations"].objectValue ?? [:] where key.hasPrefix(prefix) {
            let profile = value.podSecurityText ?? ""
            if !(profile.isEmpty || profile == "runtime/default" || profile.hasPrefix("localhost/")) {
                annotations.append("\(key)=\(LabelValidation.goQuote(profile))")
            }
        }
        var values = PodSecurityText.sortedSet(badValues)
        if !annotations.isEmpty {
            values += PodSecurityText.sorted(annotations)
            setters.append(PodSecurityText.pluralize("annotation", "annotations", annotations.count))
        }
        guard !setters.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: PodSecurityText.pluralize(
                "forbidden AppArmor profile", "forbidden AppArmor profiles", values.count),
            detail: setters.joined(separator: " and ") + " must not set AppArmor profile type to "
                + PodSecurityText.joinQuote(values))
    }
}
