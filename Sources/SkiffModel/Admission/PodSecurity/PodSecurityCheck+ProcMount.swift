extension PodSecurityCheck {
    /// Baseline: containers keep the default /proc masks (`securityContext.procMount` unset or `Default`).
    static let procMount = PodSecurityCheck(id: "procMount", level: .baseline, since: 0) { pod, _ in
        var badContainers: [String] = []
        var types: [String] = []
        for container in pod.containers {
            guard let type = container["securityContext"]["procMount"].podSecurityText, type != "Default" else {
                continue
            }
            badContainers.append(container.entryName)
            types.append(type)
        }
        guard !badContainers.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "procMount",
            detail: PodSecurityText.containers(badContainers) + " must not set securityContext.procMount to "
                + PodSecurityText.joinQuote(PodSecurityText.sortedSet(types)))
    }
}
