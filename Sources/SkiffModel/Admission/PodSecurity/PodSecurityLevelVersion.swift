/// A level evaluated with one version's policy definitions (upstream `api.LevelVersion`); it prints as
/// `restricted:latest` or `baseline:v1.29`, the text inside every Pod Security message.
public struct PodSecurityLevelVersion: Sendable, Hashable, CustomStringConvertible {
    public var level: PodSecurityLevel
    public var version: PodSecurityVersion

    public init(_ level: PodSecurityLevel, _ version: PodSecurityVersion = .latest) {
        self.level = level
        self.version = version
    }

    /// `privileged:latest`, upstream's built-in default for every mode.
    public static let privilegedLatest = PodSecurityLevelVersion(.privileged)

    public var description: String { "\(level.rawValue):\(version)" }
}
