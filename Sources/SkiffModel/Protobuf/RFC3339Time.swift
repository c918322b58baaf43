/// Formats Unix times the way `metav1.Time` and `metav1.MicroTime` marshal to JSON (always UTC, `Z` suffix).
public enum RFC3339Time {
    /// `2024-01-02T03:04:05Z`, or with `fractionDigits` (6 for MicroTime) `2024-01-02T03:04:05.123456Z`; nil when the
    /// year falls outside 0...9999, which Go refuses to marshal.
    public static func format(seconds: Int64, nanos: Int32 = 0, fractionDigits: Int = 0) -> String? {
        // Years 0...9999 lie well inside this window; checking first keeps the arithmetic below from overflowing.
        guard seconds > -70_000_000_000, seconds < 260_000_000_000 else { return nil }
        // Normalize nanos into [0, 1e9) so negative nanos borrow from seconds, as Go's time.Unix does.
        var seconds = seconds
        var nanos = Int64(nanos)
        if nanos < 0 || nanos >= 1_000_000_000 {
            let (carry, rest) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
            seconds += carry
            nanos = rest
            if nanos < 0 {
                nanos += 1_000_000_000
                seconds -= 1
            }
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        guard year >= 0, year <= 9999 else { return nil }
        var text = ""
        text.reserveCapacity(32)
        text += pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractionDigits > 0 {
            let digits = min(fractionDigits, 9)
            var divisor: Int64 = 1
            for _ in 0..<(9 - digits) { divisor *= 10 }
            text += "." + pad(nanos / divisor, digits)
        }
        return text + "Z"
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
