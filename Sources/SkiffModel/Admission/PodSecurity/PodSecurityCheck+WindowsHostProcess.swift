extension PodSecurityCheck {
    /// Baseline: no Windows HostProcess pods or containers (`securityContext.windowsOptions.hostProcess=true`).
    static let windowsHostProcess = PodSecurityCheck(id: "windowsHostProcess", level: .baseline, since: 0) { pod, _ in
        let hostProcess: (JSON) -> Bool = { $0["windowsOptions"]["hostProcess"].boolValue == true }
        var setters: [String] = []
        if hostProcess(pod.securityContext) { setters.append("pod") }
        let names = pod.containers.filter { hostProcess($0["securityContext"]) }.map(\.entryName)
        if !names.isEmpty { setters.append(PodSecurityText.containers(names)) }
        guard !setters.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "hostProcess",
            detail: setters.joined(separator: " and ") + " must not set securityContext.windowsOptions.hostProcess=true"
        )
    }
}
