extension PodSecurityCheck {
    /// Baseline: no privileged containers.
    static let privileged = PodSecurityCheck(id: "privileged", level: .baseline, since: 0) { pod, _ in
        let names = pod.containers.filter { $0["securityContext"]["privileged"].boolValue == true }.map(\.entryName)
        guard !names.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "privileged",
            detail: PodSecurityText.containers(names) + " must not set securityContext.privileged=true")
    }
}
