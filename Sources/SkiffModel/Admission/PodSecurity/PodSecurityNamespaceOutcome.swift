/// What Pod Security admission makes of a namespace create or update (upstream `ValidateNamespace`).
public enum PodSecurityNamespaceOutcome: Sendable, Hashable {
    /// Nothing to do.
    case allowed
    /// Refuse with a 422: `APIError.invalid(namespaceType, name, errors.map(\.cause))`.
    case invalid([PodSecurityLabelError])
    /// Allowed, but the enforce level got stricter: list the namespace's pods and answer
    /// `PodSecurityAdmission.existingPodWarnings(namespace:enforce:pods:)` as warnings.
    case checkExistingPods(PodSecurityLevelVersion)
}
