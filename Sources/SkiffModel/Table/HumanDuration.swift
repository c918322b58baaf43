import Foundation

/// Kubernetes' short human duration (`45s`, `2m30s`, `5m`, `3h`, `5h12m`, `2d`, `3d4h`, `400d`, `2y3d`), the format
/// of every Age column, matching apimachinery's `duration.HumanDuration` digit for digit.
public enum HumanDuration {
    /// Formats an elapsed time; slightly negative values (clock skew under 2 s) read `0s`, larger ones `<invalid>`.
    public static func format(_ interval: TimeInterval) -> String {
        guard interval.isFinite else { return "<invalid>" }
        // Go truncates toward zero at every step; whole seconds then integer division gives the same results.
        let seconds = Int64(interval.rounded(.towardZero).clamped(to: -9.0e15...9.0e15))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = (hours / 24) % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// The age of an RFC 3339 timestamp at `now`, or `<unknown>` when it is absent or unreadable (as upstream
    /// prints a zero time).
    public static func since(_ timestamp: JSON, now: Date) -> String {
        guard let date = timestamp.stringValue.flatMap(KubeTimestamp.date) else { return "<unknown>" }
        return format(now.timeIntervalSince(date))
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
