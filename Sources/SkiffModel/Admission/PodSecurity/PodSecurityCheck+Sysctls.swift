extension PodSecurityCheck {
    /// Baseline: only the namespaced, isolated ("safe") sysctls in `spec.securityContext.sysctls`; the safe set
    /// grew in 1.27, 1.29 and 1.32.
    static let sysctls = PodSecurityCheck(id: "sysctls", level: .baseline, since: 0) { pod, minor in
        let allowed = safeSysctls(minor)
        let forbidden = (pod.securityContext["sysctls"].arrayValue ?? []).map { $0["name"].podSecurityText ?? "" }
            .filter { !allowed.contains($0) }
        guard !forbidden.isEmpty else { return nil }
        return PodSecurityViolation(reason: "forbidden sysctls", detail: forbidden.joined(separator: ", "))
    }

    /// The safe sysctls of policy version `v1.<minor>`.
    static func safeSysctls(_ minor: Int) -> Set<String> {
        var names: Set = [
            "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
        ]
        if minor >= 27 { names.insert("net.ipv4.ip_local_reserved_ports") }
        if minor >= 29 {
            names.formUnion([
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes",
            ])
        }
        if minor >= 32 { names.formUnion(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]) }
        return names
    }
}
