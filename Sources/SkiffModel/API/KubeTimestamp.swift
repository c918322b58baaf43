import Foundation

/// Reads and writes the RFC 3339 timestamps Kubernetes stores (`2024-05-01T12:00:00Z`, MicroTime
/// `2024-05-01T12:00:00.123456Z`, or with a `+02:00` offset).
///
/// The one timestamp codec of the project: hand-written because `ISO8601DateFormatter` is neither `Sendable` nor
/// cheap (creating one costs more than a whole object write), and tables, reconciles and writes handle one per object.
public enum KubeTimestamp {
    /// The instant `text` names, or nil when it is not an RFC 3339 date-time.
    public static func date(_ text: String) -> Date? {
        var utf8 = Array(text.utf8)[...]
        guard let year = number(&utf8, digits: 4), take(&utf8, "-"),
            let month = number(&utf8, digits: 2), take(&utf8, "-"),
            let day = number(&utf8, digits: 2),
            take(&utf8, "T") || take(&utf8, "t") || take(&utf8, " "),
            let hour = number(&utf8, digits: 2), take(&utf8, ":"),
            let minute = number(&utf8, digits: 2), take(&utf8, ":"),
            let second = number(&utf8, digits: 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if take(&utf8, ".") {
            var scale = 0.1
            var sawDigit = false
            while let byte = utf8.first, byte >= 0x30, byte <= 0x39 {
                fraction += Double(byte - 0x30) * scale
                scale /= 10
                sawDigit = true
                utf8.removeFirst()
            }
            guard sawDigit else { return nil }
        }
        var offsetSeconds = 0
        if take(&utf8, "Z") || take(&utf8, "z") {
            offsetSeconds = 0
        } else if let sign = utf8.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            utf8.removeFirst()
            guard let offsetHours = number(&utf8, digits: 2), take(&utf8, ":"),
                let offsetMinutes = number(&utf8, digits: 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard utf8.isEmpty else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `date` in UTC with whole seconds, as Go's `time.RFC3339` writes it.
    public static func string(_ date: Date) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondsOfDay = total - days * 86_400
        let (year, month, day) = civil(days: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
    }

    /// `date` in UTC with microseconds, as Go's MicroTime writes it (Lease `renewTime`, Event `eventTime`).
    public static func microString(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = min(999_999, Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down)))
        return String(string(Date(timeIntervalSince1970: seconds)).dropLast()) + ".\(pad(micros, 6))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func take(_ bytes: inout ArraySlice<UInt8>, _ character: Unicode.Scalar) -> Bool {
        guard bytes.first == UInt8(ascii: character) else { return false }
        bytes.removeFirst()
        return true
    }

    private static func number(_ bytes: inout ArraySlice<UInt8>, digits: Int) -> Int? {
        guard bytes.count >= digits else { return nil }
        var value = 0
        for byte in bytes.prefix(digits) {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        bytes.removeFirst(digits)
        return value
    }

    // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's civil calendar algorithms).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date `days` after 1970-01-01 (proleptic Gregorian calendar).
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let (year, month, day) = RFC3339Time.civilDate(daysSinceEpoch: Int64(days))
        return (Int(year), Int(month), Int(day))
    }
}
