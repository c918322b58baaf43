import Foundation

/// Defaults shared by the PKI types; they follow k3s so that operators find familiar lifetimes.
public enum SkiffPKI {
    /// Lifetime of a cluster CA certificate: ten years.
    public static let caValidity: TimeInterval = 10 * 365 * 86_400
    /// Lifetime of a leaf (serving or client) certificate: 365 days.
    public static let leafValidity: TimeInterval = 365 * 86_400
    /// A leaf certificate expiring within this window is reissued at startup: 90 days.
    public static let renewalWindow: TimeInterval = 90 * 86_400
    /// How far `notValidBefore` is set back, so that peers whose clocks lag a little still accept new certificates.
    public static let clockSkewAllowance: TimeInterval = 3_600
}
