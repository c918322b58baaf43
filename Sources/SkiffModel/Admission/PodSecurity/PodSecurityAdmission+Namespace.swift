extension PodSecurityAdmission {
    /// How many existing pods a namespace label change checks at most (upstream `defaultNamespaceMaxPodsToCheck`).
    public static let namespaceMaxPodsToCheck = 3000

    /// The warning upstream gives when it could not list the namespace's pods.
    public static let podListFailedWarning = "failed to list pods while checking new PodSecurity enforce level"

    /// Validates a namespace create (`oldLabels` nil) or update (upstream `ValidateNamespace`; skip subresource
    /// writes such as `status` and `finalize`). Unparsable labels refuse a create, and an update unless the old
    /// labels had the very same errors. An update whose enforce level or version got stricter asks for the existing
    /// pods to be checked; loosening, or moving to `privileged`, does not.
    public static func validateNamespace(
        labels: [String: String], oldLabels: [String: String]?, defaults: PodSecurityPolicy = .privileged
    ) -> PodSecurityNamespaceOutcome {
        let new = PodSecurityPolicy.evaluate(labels: labels, defaults: defaults)
        guard let oldLabels else { return new.errors.isEmpty ? .allowed : .invalid(new.errors) }
        let old = PodSecurityPolicy.evaluate(labels: oldLabels, defaults: defaults)
        if !new.errors.isEmpty, old.errors.isEmpty || new.errors != old.errors { return .invalid(new.errors) }
        let newEnforce = new.policy.enforce
        let oldEnforce = old.policy.enforce
        if newEnforce == oldEnforce || newEnforce.level == .privileged { return .allowed }
        if newEnforce.version == oldEnforce.version, newEnforce.level <= oldEnforce.level { return .allowed }
        return .checkExistingPods(newEnforce)
    }

    /// The warnings for a namespace whose enforce level got stricter (upstream `EvaluatePodsInNamespace`):
    /// `existing pods in namespace "ns" violate the new PodSecurity enforce level "restricted:latest"`, then one
    /// line per distinct set of violated reasons, sorted: `pod-a (and 2 other pods): privileged, runAsNonRoot !=
    /// true`, naming the alphabetically first pod. Pods without a controller are checked first, then one pod per
    /// controller, then the rest, up to `maxPodsToCheck`; checking fewer than all adds
    /// `new PodSecurity enforce level only checked against the first N of M existing pods` first. Empty when all
    /// pass.
    public static func existingPodWarnings(
        namespace: String, enforce: PodSecurityLevelVersion, pods: [PodSecurityPod],
        maxPodsToCheck: Int = namespaceMaxPodsToCheck
    ) -> [String] {
        let ordered = prioritized(pods)
        let checked = ordered.prefix(max(0, maxPodsToCheck))
        var reasons: [String] = []
        var firstPod: [String: String] = [:]
        var count: [String: Int] = [:]
        for pod in checked {
            let violations = PodSecurityEvaluator.violations(of: pod, at: enforce)
            guard !violations.isEmpty else { continue }
            let reason = violations.forbiddenReason
            if let first = firstPod[reason] {
                if pod.name.utf8.lexicographicallyPrecedes(first.utf8) { firstPod[reason] = pod.name }
            } else {
                reasons.append(reason)
                firstPod[reason] = pod.name
            }
            count[reason, default: 0] += 1
        }
        var warnings: [String] = []
        if checked.count < ordered.count {
            warnings.append(
                "new PodSecurity enforce level only checked against the first \(checked.count) of \(ordered.count) "
                    + "existing pods")
        }
        if !reasons.isEmpty {
            warnings.append(
                "existing pods in namespace \(LabelValidation.goQuote(namespace)) violate the new PodSecurity enforce "
                    + "level \(LabelValidation.goQuote(enforce.description))")
        }
        let lines = reasons.map { reason in
            let name = firstPod[reason] ?? ""
            switch count[reason] ?? 0 {
            case 0: return reason
            case 1: return "\(name): \(reason)"
            case 2: return "\(name) (and 1 other pod): \(reason)"
            case let n: return "\(name) (and \(n - 1) other pods): \(reason)"
            }
        }
        return warnings + PodSecurityText.sorted(lines)
    }

    /// Pods without a controller and the first pod of each controller, in list order, then the other replicas
    /// (upstream `prioritizePods`), so a capped check sees every distinct template early.
    private static func prioritized(_ pods: [PodSecurityPod]) -> [PodSecurityPod] {
        var first: [PodSecurityPod] = []
        var replicas: [PodSecurityPod] = []
        var seenControllers: Set<String> = []
        for pod in pods {
            let references = pod.metadata["ownerReferences"].arrayValue ?? []
            guard let controller = references.first(where: { $0["controller"].boolValue == true }) else {
                first.append(pod)
                continue
            }
            let uid = controller["uid"].stringValue ?? ""
            if seenControllers.insert(uid).inserted {
                first.append(pod)
            } else {
                replicas.append(pod)
            }
        }
        return first + replicas
    }
}
