/// One Pod Security check (upstream `policy.Check`): the level it belongs to, the first Kubernetes minor whose
/// policy includes it, the baseline checks it replaces in `restricted`, and the evaluation, which receives the minor
/// being evaluated so it can apply that version's rules.
struct PodSecurityCheck: Sendable {
    /// Upstream's check ID; checks run in byte order of their IDs, baseline ones first.
    var id: String
    var level: PodSecurityLevel
    /// The first `v1.N` the check applies to.
    var since: Int
    /// Baseline check IDs this restricted check replaces (from `since` on).
    var overrides: [String] = []
    /// The violation, or nil when the pod passes; the second argument is the minor version evaluated.
    var evaluate: @Sendable (PodSecurityPod, Int) -> PodSecurityViolation?
}
