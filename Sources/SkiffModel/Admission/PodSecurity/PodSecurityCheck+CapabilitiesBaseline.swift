extension PodSecurityCheck {
    /// The capabilities a baseline container may add: the container runtimes' default set.
    static let defaultCapabilities: Set = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    /// Baseline: containers may add only capabilities from the default set. Replaced in restricted (1.22+) by
    /// ``capabilitiesRestricted``.
    static let capabilitiesBaseline = PodSecurityCheck(id: "capabilities_baseline", level: .baseline, since: 0) {
        pod, _ in
        var badContainers: [String] = []
        var added: [String] = []
        for container in pod.containers {
            let capabilities = container["securityContext"]["capabilities"]
            guard !capabilities.isNull else { continue }
            let forbidden = (capabilities["add"].arrayValue ?? []).compactMap(\.podSecurityText).filter {
                !defaultCapabilities.contains($0)
            }
            if !forbidden.isEmpty {
                badContainers.append(container.entryName)
                added += forbidden
            }
        }
        guard !badContainers.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "non-default capabilities",
            detail: PodSecurityText.containers(badContainers) + " must not include "
                + PodSecurityText.joinQuote(PodSecurityText.sortedSet(added)) + " in securityContext.capabilities.add")
    }
}
