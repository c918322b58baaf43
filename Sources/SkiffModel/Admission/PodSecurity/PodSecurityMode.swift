/// What a namespace does with a level (upstream's three label pairs): `enforce` refuses violating pods, `audit`
/// records violations in the audit log, `warn` returns them to the client as warnings.
public enum PodSecurityMode: String, Sendable, Hashable, CaseIterable {
    case enforce
    case audit
    case warn

    /// `pod-security.kubernetes.io/enforce` and the like: the namespace label holding the mode's level.
    public var levelLabel: String { "pod-security.kubernetes.io/" + rawValue }

    /// `pod-security.kubernetes.io/enforce-version` and the like: the label holding the mode's version.
    public var versionLabel: String { levelLabel + "-version" }
}
