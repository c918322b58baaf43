/// The Kubernetes version whose policy definitions a level is evaluated with: `latest` or `v1.N` (upstream
/// `api.Version`). `latest` is newer than every numbered version, including future ones.
public enum PodSecurityVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `v1.N`. Declared before `latest` so that the synthesized ordering puts every minor below it.
    case v1(minor: Int)
    case latest

    /// Parses a namespace label value (upstream `api.ParseVersion`): `latest`, or `v1.` and a minor without
    /// leading zeros (`v1.0`, `v1.25`; not `v1.05`, `v2.0` or `1.25`).
    public init(parsing text: String) throws(PodSecurityParseError) {
        if text == "latest" {
            self = .latest
            return
        }
        let invalid = PodSecurityParseError(detail: #"must be "latest" or "v1.x""#)
        guard text.hasPrefix("v1.") else { throw invalid }
        let digits = text.dropFirst(3)
        guard let first = digits.utf8.first, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            first != 0x30 || digits.utf8.count == 1, let minor = Int(digits)
        else { throw invalid }
        self = .v1(minor: minor)
    }

    /// `latest` or `v1.N`, as the label value and the `level:version` text show it.
    public var description: String {
        switch self {
        case .latest: return "latest"
        case .v1(let minor): return "v1.\(minor)"
        }
    }
}
