/// The level and version a namespace applies in each mode (upstream `api.Policy`), read from its
/// `pod-security.kubernetes.io/*` labels over the server's defaults.
public struct PodSecurityPolicy: Sendable, Hashable, CustomStringConvertible {
    public var enforce: PodSecurityLevelVersion
    public var audit: PodSecurityLevelVersion
    public var warn: PodSecurityLevelVersion

    public init(enforce: PodSecurityLevelVersion, audit: PodSecurityLevelVersion, warn: PodSecurityLevelVersion) {
        self.enforce = enforce
        self.audit = audit
        self.warn = warn
    }

    /// The same level and version in every mode.
    public init(all levelVersion: PodSecurityLevelVersion) {
        self.init(enforce: levelVersion, audit: levelVersion, warn: levelVersion)
    }

    /// `privileged:latest` in every mode: upstream's default when the server configures none.
    public static let privileged = PodSecurityPolicy(all: .privilegedLatest)

    /// Whether no mode checks anything.
    public var isFullyPrivileged: Bool {
        enforce.level == .privileged && audit.level == .privileged && warn.level == .privileged
    }

    public var description: String { "enforce=\(enforce), audit=\(audit), warn=\(warn)" }

    /// The level and version of one mode.
    public subscript(mode: PodSecurityMode) -> PodSecurityLevelVersion {
        get {
            switch mode {
            case .enforce: return enforce
            case .audit: return audit
            case .warn: return warn
            }
        }
        set {
            switch mode {
            case .enforce: enforce = newValue
            case .audit: audit = newValue
            case .warn: warn = newValue
            }
        }
    }

    /// The policy a namespace's labels ask for, and the labels that did not parse (upstream
    /// `api.PolicyToEvaluate`). A mode without a label keeps the default. A bad enforce level enforces
    /// `restricted` (fail closed); a bad audit or warn level falls back to `privileged` (fail open); a bad version
    /// means `latest`. When only enforce is labeled and it is stricter than the default warn level, warn follows
    /// enforce, its version too unless warn's version is labeled. Errors come in label order: enforce,
    /// enforce-version, audit, audit-version, warn, warn-version.
    public static func evaluate(
        labels: [String: String], defaults: PodSecurityPolicy = .privileged
    ) -> (policy: PodSecurityPolicy, errors: [PodSecurityLabelError]) {
        var policy = defaults
        var errors: [PodSecurityLabelError] = []
        var enforceLabeled = false
        for mode in PodSecurityMode.allCases {
            if let value = labels[mode.levelLabel] {
                do {
                    policy[mode].level = try PodSecurityLevel(parsing: value)
                    if mode == .enforce { enforceLabeled = true }
                } catch {
                    policy[mode].level = mode == .enforce ? .restricted : .privileged
                    errors.append(PodSecurityLabelError(label: mode.levelLabel, value: value, detail: error.detail))
                }
            }
            if let value = labels[mode.versionLabel] {
                do {
                    policy[mode].version = try PodSecurityVersion(parsing: value)
                } catch {
                    policy[mode].version = .latest
                    errors.append(PodSecurityLabelError(label: mode.versionLabel, value: value, detail: error.detail))
                }
            }
        }
        if labels[PodSecurityMode.warn.levelLabel] == nil, enforceLabeled, policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level
            if labels[PodSecurityMode.warn.versionLabel] == nil { policy.warn.version = policy.enforce.version }
        }
        return (policy, errors)
    }
}
