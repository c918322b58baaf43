extension PodSecurityCheck {
    /// Restricted (1.19+): a seccomp profile of type `RuntimeDefault` or `Localhost` on the pod or on every
    /// container, and no other type anywhere; replaces ``seccompProfileBaseline``. Windows pods are exempt from 1.25.
    static let seccompProfileRestricted = PodSecurityCheck(
        id: "seccompProfile_restricted", level: .restricted, since: 19, overrides: ["seccompProfile_baseline"]
    ) { pod, minor in
        if minor >= 25, pod.isWindows { return nil }
        var setters: [String] = []
        var badValues: [String] = []
        var podSet = false
        let podProfile = pod.securityContext["seccompProfile"]
        if !podProfile.isNull {
            let type = podProfile["type"].podSecurityText ?? ""
            if allowedSeccompType(type) {
                podSet = true
            } else {
                setters.append("pod")
                badValues.append(type)
            }
        }
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            let profile = container["securityContext"]["seccompProfile"]
            if profile.isNull {
                if !podSet { implicit.append(container.entryName) }
                continue
            }
            let type = profile["type"].podSecurityText ?? ""
            if !allowedSeccompType(type) {
                explicit.append(container.entryName)
                badValues.append(type)
            }
        }
        if !explicit.isEmpty { setters.append(PodSecurityText.containers(explicit)) }
        if !setters.isEmpty {
            return PodSecurityViolation(
                reason: "seccompProfile",
                detail: setters.joined(separator: " and ") + " must not set securityContext.seccompProfile.type to "
                    + PodSecurityText.joinQuote(PodSecurityText.sortedSet(badValues)))
        }
        guard !implicit.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "seccompProfile",
            detail: "pod or " + PodSecurityText.containers(implicit)
                + #" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#)
    }
}
