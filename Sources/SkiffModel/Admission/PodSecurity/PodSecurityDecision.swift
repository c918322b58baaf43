/// What Pod Security admission decides about one pod or pod template under a namespace's policy: refused or not,
/// the warnings for the client, and the audit annotations (upstream `Admission.EvaluatePod`'s response).
public struct PodSecurityDecision: Sendable, Hashable {
    /// Set when enforce refuses the pod: `violates PodSecurity "restricted:latest": privileged (…), …`, the error
    /// that ``forbidden(podName:)`` wraps.
    public var refusal: String?
    /// `would violate PodSecurity "…": …`, for the response's `Warning` headers (only when not refused).
    public var warnings: [String]
    /// Upstream's audit annotations, keys prefixed `pod-security.kubernetes.io/` as the built-in plugin adds them:
    /// `enforce-policy` (the enforced level, for pods), `audit-violations`, and `error` when labels did not parse.
    public var auditAnnotations: [String: String]

    public init(refusal: String? = nil, warnings: [String] = [], auditAnnotations: [String: String] = [:]) {
        self.refusal = refusal
        self.warnings = warnings
        self.auditAnnotations = auditAnnotations
    }

    /// Whether the request may proceed.
    public var isAllowed: Bool { refusal == nil }

    /// The 403 upstream answers a refused pod with (`apierrors.NewForbidden` on `pods`): message
    /// `pods "NAME" is forbidden: violates PodSecurity "restricted:latest": …` (`pods is forbidden: …` without a
    /// name); nil when allowed. Pass the final name, the generated one for a `generateName` create.
    public func forbidden(podName: String) -> APIError? {
        guard let refusal else { return nil }
        let subject = podName.isEmpty ? "pods" : "pods \(LabelValidation.goQuote(podName))"
        return APIError(
            code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(refusal)", name: podName, group: "",
            kind: "pods")
    }
}
