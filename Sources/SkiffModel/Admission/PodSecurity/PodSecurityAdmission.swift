/// Pod Security admission's decisions, free of I/O (upstream `admission.Admission`), for the API server to apply:
/// pods are refused by the namespace's enforce level and warned by its warn level; workloads with a pod template
/// are only warned and audited, never refused; namespace label changes are validated and answered with warnings
/// about the existing pods (see the namespace extension). Nothing is exempt.
public enum PodSecurityAdmission {
    /// Pod subresources whose writes are not checked (upstream `ignoredPodSubresources`); `ephemeralcontainers`
    /// and `resize` are checked.
    public static let ignoredPodSubresources: Set = [
        "exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status",
    ]

    /// The decision for a pod create or update: enforce, then audit, then warn (warnings only when allowed).
    /// On update, call it only when ``isSignificantUpdate(_:old:)``; skip ``ignoredPodSubresources``.
    /// `policyErrors` are the namespace's unparsable labels (the policy already reflects how upstream treats them).
    public static func evaluatePod(
        _ pod: PodSecurityPod, policy: PodSecurityPolicy, policyErrors: [PodSecurityLabelError] = []
    ) -> PodSecurityDecision {
        if policyErrors.isEmpty, policy.isFullyPrivileged {
            return PodSecurityDecision(auditAnnotations: [
                enforcePolicyKey: PodSecurityLevelVersion.privilegedLatest.description
            ])
        }
        return evaluate(pod, policy: policy, policyErrors: policyErrors, enforce: true)
    }

    /// The decision for a workload's pod template (see ``PodSecurityWorkload``): audit and warn only, never a
    /// refusal. Skip subresource writes (`scale`, `status`), as upstream does.
    public static func evaluateWorkload(
        _ template: PodSecurityPod, policy: PodSecurityPolicy, policyErrors: [PodSecurityLabelError] = []
    ) -> PodSecurityDecision {
        if policyErrors.isEmpty, policy.warn.level == .privileged, policy.audit.level == .privileged {
            return PodSecurityDecision()
        }
        return evaluate(template, policy: policy, policyErrors: policyErrors, enforce: false)
    }

    /// `violates PodSecurity "restricted:latest": reason (detail), …`: the refusal for enforce.
    public static func refusal(
        _ levelVersion: PodSecurityLevelVersion, _ violations: [PodSecurityViolation]
    ) -> String {
        "violates PodSecurity \(LabelValidation.goQuote(levelVersion.description)): \(violations.forbiddenDetail)"
    }

    /// `would violate PodSecurity "restricted:latest": reason (detail), …`: the warning for warn, and the audit
    /// annotation for audit.
    public static func warning(
        _ levelVersion: PodSecurityLevelVersion, _ violations: [PodSecurityViolation]
    ) -> String {
        "would violate PodSecurity \(LabelValidation.goQuote(levelVersion.description)): \(violations.forbiddenDetail)"
    }

    /// Whether a pod update can change its Pod Security verdict (upstream `isSignificantPodUpdate`): a different
    /// number of containers or init containers, a changed image, or an added or re-imaged ephemeral container.
    /// Other updates are allowed unchecked, so running pods keep working after their namespace tightens.
    public static func isSignificantUpdate(_ pod: JSON, old: JSON) -> Bool {
        for field in ["containers", "initContainers"] {
            let new = pod["spec"][field].arrayValue ?? []
            let old = old["spec"][field].arrayValue ?? []
            if new.count != old.count || zip(new, old).contains(where: { $0["image"] != $1["image"] }) { return true }
        }
        let oldEphemeral = old["spec"]["ephemeralContainers"].arrayValue ?? []
        for container in pod["spec"]["ephemeralContainers"].arrayValue ?? [] {
            guard let previous = oldEphemeral.first(where: { $0.entryName == container.entryName }) else { return true }
            if previous["image"] != container["image"] { return true }
        }
        return false
    }

    static let enforcePolicyKey = "pod-security.kubernetes.io/enforce-policy"
    static let auditViolationsKey = "pod-security.kubernetes.io/audit-violations"
    static let errorKey = "pod-security.kubernetes.io/error"

    private static func evaluate(
        _ pod: PodSecurityPod, policy: PodSecurityPolicy, policyErrors: [PodSecurityLabelError], enforce: Bool
    ) -> PodSecurityDecision {
        var decision = PodSecurityDecision()
        if !policyErrors.isEmpty {
            decision.auditAnnotations[errorKey] =
                "Failed to parse policy: " + LabelValidation.aggregate(policyErrors.map(\.description))
        }
        var results: [PodSecurityLevelVersion: [PodSecurityViolation]] = [:]
        func violations(_ levelVersion: PodSecurityLevelVersion) -> [PodSecurityViolation] {
            if let cached = results[levelVersion] { return cached }
            let found = PodSecurityEvaluator.violations(of: pod, at: levelVersion)
            results[levelVersion] = found
            return found
        }
        if enforce {
            decision.auditAnnotations[enforcePolicyKey] = policy.enforce.description
            let found = violations(policy.enforce)
            if !found.isEmpty { decision.refusal = refusal(policy.enforce, found) }
        }
        let audited = violations(policy.audit)
        if !audited.isEmpty { decision.auditAnnotations[auditViolationsKey] = warning(policy.audit, audited) }
        if decision.isAllowed {
            let warned = violations(policy.warn)
            if !warned.isEmpty { decision.warnings.append(warning(policy.warn, warned)) }
        }
        return decision
    }
}
