/// A Pod Security Standards level, from least to most restrictive (upstream `api.Level`).
///
/// `privileged` allows everything; `baseline` forbids known privilege escalations; `restricted` adds the hardening
/// best practices. Levels compare in that order, as upstream's `CompareLevels`.
public enum PodSecurityLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    case privileged
    case baseline
    case restricted

    /// Parses a namespace label value (upstream `api.ParseLevel`): exactly one of the three names.
    public init(parsing text: String) throws(PodSecurityParseError) {
        guard let level = PodSecurityLevel(rawValue: text) else {
            throw PodSecurityParseError(
                detail: "must be one of " + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = level
    }

    public static func < (lhs: PodSecurityLevel, rhs: PodSecurityLevel) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .privileged: return 0
        case .baseline: return 1
        case .restricted: return 2
        }
    }
}
