extension PodSecurityCheck {
    /// Restricted (1.8+): every container sets `securityContext.allowPrivilegeEscalation=false`. Windows pods
    /// (`spec.os.name: windows`) are exempt from 1.25.
    static let allowPrivilegeEscalation = PodSecurityCheck(
        id: "allowPrivilegeEscalation", level: .restricted, since: 8
    ) { pod, minor in
        if minor >= 25, pod.isWindows { return nil }
        let names = pod.containers.filter { $0["securityContext"]["allowPrivilegeEscalation"].boolValue != false }
            .map(\.entryName)
        guard !names.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "allowPrivilegeEscalation != false",
            detail: PodSecurityText.containers(names) + " must set securityContext.allowPrivilegeEscalation=false")
    }
}
