import Foundation
import SkiffModel

/// RFC 3339 timestamps as Kubernetes stores them (`2024-05-01T12:00:00Z`), to and from `Date`.
///
/// Hand-written because `ISO8601DateFormatter` is neither `Sendable` nor cheap, and reconciles read a timestamp
/// per pod.
public enum WorkloadTime {
    /// `date` with whole seconds in UTC, as `metav1.Time` marshals.
    public static func format(_ date: Date) -> String {
        RFC3339Time.format(seconds: Int64(date.timeIntervalSince1970.rounded(.down))) ?? "1970-01-01T00:00:00Z"
    }

    /// The JSON string of `format(date)`.
    static func json(_ date: Date) -> JSON { .string(format(date)) }

    /// The instant `value` names, or nil when it is not an RFC 3339 date-time string.
    public static func parse(_ value: JSON) -> Date? {
        guard let text = value.stringValue else { return nil }
        return parse(text)
    }

    /// The instant `text` names (`Z` or `±hh:mm` offset, optional fraction), or nil.
    public static func parse(_ text: String) -> Date? {
        var bytes = Array(text.utf8)[...]
        guard let year = digits(&bytes, 4), take(&bytes, "-"), let month = digits(&bytes, 2), take(&bytes, "-"),
            let day = digits(&bytes, 2), take(&bytes, "T") || take(&bytes, "t") || take(&bytes, " "),
            let hour = digits(&bytes, 2), take(&bytes, ":"), let minute = digits(&bytes, 2), take(&bytes, ":"),
            let second = digits(&bytes, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var fraction = 0.0
        if take(&bytes, ".") {
            var scale = 0.1
            var any = false
            while let byte = bytes.first, byte >= 0x30, byte <= 0x39 {
                fraction += Double(byte - 0x30) * scale
                scale /= 10
                any = true
                bytes.removeFirst()
            }
            guard any else { return nil }
        }
        var offset = 0
        if take(&bytes, "Z") || take(&bytes, "z") {
            offset = 0
        } else if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            bytes.removeFirst()
            guard let hours = digits(&bytes, 2), take(&bytes, ":"), let minutes = digits(&bytes, 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard bytes.isEmpty else { return nil }
        let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func take(_ bytes: inout ArraySlice<UInt8>, _ character: Unicode.Scalar) -> Bool {
        guard bytes.first == UInt8(ascii: character) else { return false }
        bytes.removeFirst()
        return true
    }

    private static func digits(_ bytes: inout ArraySlice<UInt8>, _ count: Int) -> Int? {
        guard bytes.count >= count else { return nil }
        var value = 0
        for byte in bytes.prefix(count) {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        bytes.removeFirst(count)
        return value
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
