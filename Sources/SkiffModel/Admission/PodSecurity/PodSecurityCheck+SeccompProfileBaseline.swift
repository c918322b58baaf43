extension PodSecurityCheck {
    /// Whether a seccomp profile type is `RuntimeDefault` or `Localhost`, the types every level allows.
    static func allowedSeccompType(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }

    /// Baseline: seccomp may not be `Unconfined` (or any type but `RuntimeDefault` and `Localhost`) on the pod or a
    /// container. Before 1.19 the policy read the alpha seccomp annotations instead. Replaced in restricted (1.19+)
    /// by ``seccompProfileRestricted``.
    static let seccompProfileBaseline = PodSecurityCheck(id: "seccompProfile_baseline", level: .baseline, since: 0) {
        pod, minor in
        if minor < 19 { return seccompAnnotations(pod) }
        var setters: [String] = []
        var badValues: [String] = []
        let podProfile = pod.securityContext["seccompProfile"]
        if !podProfile.isNull {
            let type = podProfile["type"].podSecurityText ?? ""
            if !allowedSeccompType(type) {
                setters.append("pod")
                badValues.append(type)
            }
        }
        var badContainers: [String] = []
        for container in pod.containers {
            let profile = container["securityContext"]["seccompProfile"]
            guard !profile.isNull else { continue }
            let type = profile["type"].podSecurityText ?? ""
            if !allowedSeccompType(type) {
                badContainers.append(container.entryName)
                badValues.append(type)
            }
        }
        if !badContainers.isEmpty { setters.append(PodSecurityText.containers(badContainers)) }
        guard !setters.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "seccompProfile",
            detail: setters.joined(separator: " and ") + " must not set securityContext.seccompProfile.type to "
                + PodSecurityText.joinQuote(PodSecurityText.sortedSet(badValues)))
    }

    /// The pre-1.19 rule: the `seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<name>` annotations may only name `runtime/default`,
    /// `docker/default` or a `localhost/` profile.
    private static func seccompAnnotations(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let annotations = pod.metadata["annotations"]
        var forbidden: [String] = []
        let keys =
            ["seccomp.security.alpha.kubernetes.io/pod"]
            + pod.containers.map { "container.seccomp.security.alpha.kubernetes.io/" + $0.entryName }
        for key in keys {
            guard let value = annotations[key].podSecurityText else { continue }
            if !(value == "runtime/default" || value == "docker/default" || value.hasPrefix("localhost/")) {
                forbidden.append("\(key)=\(LabelValidation.goQuote(value))")
            }
        }
        let distinct = PodSecurityText.sortedSet(forbidden)
        guard !distinct.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "seccompProfile",
            detail: "forbidden " + PodSecurityText.pluralize("annotation", "annotations", distinct.count) + " "
                + distinct.joined(separator: ", "))
    }
}
