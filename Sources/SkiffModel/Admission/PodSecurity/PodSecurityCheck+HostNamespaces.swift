extension PodSecurityCheck {
    /// Baseline: no sharing of the host's network, PID or IPC namespaces.
    static let hostNamespaces = PodSecurityCheck(id: "hostNamespaces", level: .baseline, since: 0) { pod, _ in
        let shared = ["hostNetwork", "hostPID", "hostIPC"].filter { pod.spec[$0].boolValue == true }
        guard !shared.isEmpty else { return nil }
        return PodSecurityViolation(
            reason: "host namespaces", detail: shared.map { "\($0)=true" }.joined(separator: ", "))
    }
}
