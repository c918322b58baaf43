/// One failed Pod Security check (upstream `policy.CheckResult` with `Allowed: false`): a short reason such as
/// `privileged` and a detail such as `container "c" must not set securityContext.privileged=true`.
public struct PodSecurityViolation: Sendable, Hashable, CustomStringConvertible {
    /// Upstream's `ForbiddenReason`.
    public var reason: String
    /// Upstream's `ForbiddenDetail`; may be empty.
    public var detail: String

    public init(reason: String, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// `reason (detail)`, or just the reason when there is no detail.
    public var description: String { detail.isEmpty ? reason : "\(reason) (\(detail))" }
}

extension [PodSecurityViolation] {
    /// `reason (detail), reason (detail)`: what follows `violates PodSecurity "…": ` (upstream
    /// `AggregateCheckResult.ForbiddenDetail`).
    public var forbiddenDetail: String { map(\.description).joined(separator: ", ") }

    /// `reason, reason`: the reasons alone, the key of the namespace warnings (upstream
    /// `AggregateCheckResult.ForbiddenReason`).
    public var forbiddenReason: String { map(\.reason).joined(separator: ", ") }
}
