/// Runs the checks of a level and version against a pod (upstream `policy.checkRegistry`): no checks for
/// `privileged`; for `baseline` the baseline checks; for `restricted` the baseline checks a restricted one does not
/// replace, then the restricted ones. Each group runs in byte order of check IDs, so violations come in upstream's
/// order. Versions newer than the newest policy (1.32), and `latest`, evaluate as 1.32.
public enum PodSecurityEvaluator {
    /// The newest minor with policy changes: the version `latest` means.
    public static let newestMinor = 32

    /// The violations of `pod` at `levelVersion`, in upstream's order; empty when it complies.
    public static func violations(of pod: PodSecurityPod, at levelVersion: PodSecurityLevelVersion)
        -> [PodSecurityViolation]
    {
        let minor: Int
        switch levelVersion.version {
        case .latest: minor = newestMinor
        case .v1(let requested): minor = min(requested, newestMinor)
        }
        let checks: [PodSecurityCheck]
        switch levelVersion.level {
        case .privileged:
            return []
        case .baseline:
            checks = baseline.filter { $0.since <= minor }
        case .restricted:
            let active = restricted.filter { $0.since <= minor }
            let replaced = Set(active.flatMap(\.overrides))
            checks = baseline.filter { $0.since <= minor && !replaced.contains($0.id) } + active
        }
        return checks.compactMap { $0.evaluate(pod, minor) }
    }

    static let all: [PodSecurityCheck] = [
        .appArmorProfile, .capabilitiesBaseline, .hostNamespaces, .hostPathVolumes, .hostPorts, .privileged,
        .procMount, .seLinuxOptions, .seccompProfileBaseline, .sysctls, .windowsHostProcess,
        .allowPrivilegeEscalation, .capabilitiesRestricted, .restrictedVolumes, .runAsNonRoot, .runAsUser,
        .seccompProfileRestricted,
    ]

    static let baseline = ordered(.baseline)
    static let restricted = ordered(.restricted)

    private static func ordered(_ level: PodSecurityLevel) -> [PodSecurityCheck] {
        all.filter { $0.level == level }.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }
}
