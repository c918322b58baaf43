import Foundation
import SkiffModel

/// A standard 5-field cron schedule (minute hour day-of-month month day-of-week), parsed the way Kubernetes does
/// with `robfig/cron` v3's `ParseStandard`: `*` and `?`, lists `a,b`, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`
/// (from `a` to the field's end), month names `jan`…`dec` and weekday names `sun`…`sat` (case-insensitive, weekday
/// 0-6 with 0 Sunday), and the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`,
/// `@hourly` and `@every <duration>`. When both day fields are restricted a day matches either of them, as in cron.
/// Times are evaluated in UTC.
public struct CronSchedule: Sendable, Hashable {
    /// Why a schedule does not parse; messages follow robfig/cron's.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public var message: String
        /// An error with `message`.
        public init(_ message: String) { self.message = message }
        /// The message.
        public var description: String { message }
    }

    private var minutes: UInt64 = 0
    private var hours: UInt64 = 0
    private var daysOfMonth: UInt64 = 0
    private var months: UInt64 = 0
    private var daysOfWeek: UInt64 = 0
    private var dayOfMonthIsStar = false
    private var dayOfWeekIsStar = false
    /// For `@every`: the constant interval in whole seconds.
    private var interval: Int64?

    private struct Bounds {
        let min: Int
        let max: Int
        let names: [String: Int]
    }

    private static let minuteBounds = Bounds(min: 0, max: 59, names: [:])
    private static let hourBounds = Bounds(min: 0, max: 23, names: [:])
    private static let dayBounds = Bounds(min: 1, max: 31, names: [:])
    private static let monthBounds = Bounds(
        min: 1, max: 12,
        names: [
            "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
            "nov": 11, "dec": 12,
        ])
    private static let weekdayBounds = Bounds(
        min: 0, max: 6, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])

    /// Parses `text`.
    public init(parsing text: String) throws(ParseError) {
        self = try Self.parse(text)
    }

    private init() {}

    private static func parse(_ text: String) throws(ParseError) -> CronSchedule {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { throw ParseError("empty spec string") }
        if trimmed.hasPrefix("TZ=") || trimmed.hasPrefix("CRON_TZ=") {
            throw ParseError("time zones in the schedule are not supported; use spec.timeZone")
        }
        if trimmed.hasPrefix("@") { return try descriptor(trimmed) }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError("expected exactly 5 fields, found \(fields.count): \(trimmed)")
        }
        var schedule = CronSchedule()
        var isStar = false
        schedule.minutes = try field(fields[0], minuteBounds, isStar: &isStar)
        schedule.hours = try field(fields[1], hourBounds, isStar: &isStar)
        schedule.daysOfMonth = try field(fields[2], dayBounds, isStar: &schedule.dayOfMonthIsStar)
        schedule.months = try field(fields[3], monthBounds, isStar: &isStar)
        schedule.daysOfWeek = try field(fields[4], weekdayBounds, isStar: &schedule.dayOfWeekIsStar)
        return schedule
    }

    private static func descriptor(_ descriptor: String) throws(ParseError) -> CronSchedule {
        switch descriptor.lowercased() {
        case "@yearly", "@annually": return try parse("0 0 1 1 *")
        case "@monthly": return try parse("0 0 1 * *")
        case "@weekly": return try parse("0 0 * * 0")
        case "@daily", "@midnight": return try parse("0 0 * * *")
        case "@hourly": return try parse("0 * * * *")
        default:
            let every = "@every "
            guard descriptor.hasPrefix(every) else { throw ParseError("unrecognized descriptor: \(descriptor)") }
            let text = String(descriptor.dropFirst(every.count)).trimmingCharacters(in: .whitespaces)
            guard let seconds = duration(text) else {
                throw ParseError("failed to parse duration \(descriptor): time: invalid duration \"\(text)\"")
            }
            var schedule = CronSchedule()
            // robfig rounds sub-second delays up to one second.
            schedule.interval = max(1, Int64(seconds.rounded(.down)))
            return schedule
        }
    }

    /// A Go duration such as `1h30m`, `90s` or `1.5h`, in seconds.
    static func duration(_ text: String) -> Double? {
        let units: [String: Double] = ["ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            guard let scale = units[String(unit)] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return total
    }

    private static func field(_ text: String, _ bounds: Bounds, isStar: inout Bool) throws(ParseError) -> UInt64 {
        var bits: UInt64 = 0
        isStar = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let (partBits, star) = try range(String(part), bounds)
            bits |= partBits
            if star { isStar = true }
        }
        return bits
    }

    /// One comma-separated part: `*`, `?`, `n`, `a-b`, each optionally `/step`.
    private static func range(_ text: String, _ bounds: Bounds) throws(ParseError) -> (UInt64, Bool) {
        let rangeAndStep = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var star = false
        var start: Int
        var end: Int
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            start = bounds.min
            end = bounds.max
            star = true
        } else {
            start = try value(lowAndHigh[0], bounds)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try value(lowAndHigh[1], bounds)
            default: throw ParseError("too many hyphens: \(text)")
            }
        }
        var step = 1
        switch rangeAndStep.count {
        case 1:
            break
        case 2:
            step = try number(rangeAndStep[1])
            // `n/step` runs from n to the end of the field.
            if lowAndHigh.count == 1 { end = bounds.max }
            if step > 1 { star = false }
        default:
            throw ParseError("too many slashes: \(text)")
        }
        if start < bounds.min {
            throw ParseError("beginning of range (\(start)) below minimum (\(bounds.min)): \(text)")
        }
        if end > bounds.max { throw ParseError("end of range (\(end)) above maximum (\(bounds.max)): \(text)") }
        if start > end { throw ParseError("beginning of range (\(start)) beyond end of range (\(end)): \(text)") }
        if step == 0 { throw ParseError("step of range should be a positive number: \(text)") }
        var bits: UInt64 = 0
        for position in stride(from: start, through: end, by: step) { bits |= 1 << UInt64(position) }
        return (bits, star)
    }

    private static func value(_ text: String, _ bounds: Bounds) throws(ParseError) -> Int {
        if let named = bounds.names[text.lowercased()] { return named }
        return try number(text)
    }

    private static func number(_ text: String) throws(ParseError) -> Int {
        guard let value = Int(text) else { throw ParseError("failed to parse int from \(text)") }
        if value < 0 { throw ParseError("negative number (\(value)) not allowed: \(text)") }
        return value
    }

    /// The first scheduled time strictly after `date` (whole minutes, UTC), or nil when none falls within five
    /// years (an impossible date such as February 30th), as robfig/cron returns the zero time.
    public func next(after date: Date) -> Date? {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        if let interval { return Date(timeIntervalSince1970: TimeInterval(seconds + interval)) }
        // Start at the next whole minute.
        var minute = Int(((seconds >= 0 ? seconds : seconds - 59) / 60) + 1)
        var (year, month, day) = KubeTimestamp.civil(days: Self.floorDiv(minute, 1440))
        var hour = Self.floorMod(minute, 1440) / 60
        var minuteOfHour = Self.floorMod(minute, 60)
        let lastYear = year + 5
        // Carries into the next month, day and hour, resetting what lies below.
        func nextMonth() {
            month += 1
            if month > 12 { (month, year) = (1, year + 1) }
            (day, hour, minuteOfHour) = (1, 0, 0)
        }
        func nextDay() {
            day += 1
            (hour, minuteOfHour) = (0, 0)
            if day > Self.daysIn(year: year, month: month) { nextMonth() }
        }
        func nextHour() {
            hour += 1
            minuteOfHour = 0
            if hour > 23 { nextDay() }
        }
        while year <= lastYear {
            if months & (1 << UInt64(month)) == 0 {
                nextMonth()
                continue
            }
            if !dayMatches(year: year, month: month, day: day) {
                nextDay()
                continue
            }
            if hours & (1 << UInt64(hour)) == 0 {
                nextHour()
                continue
            }
            if minutes & (1 << UInt64(minuteOfHour)) == 0 {
                minuteOfHour += 1
                if minuteOfHour > 59 { nextHour() }
                continue
            }
            minute = KubeTimestamp.daysFromCivil(year: year, month: month, day: day) * 1440 + hour * 60 + minuteOfHour
            return Date(timeIntervalSince1970: TimeInterval(minute) * 60)
        }
        return nil
    }

    /// robfig's `dayMatches`: if either day field is `*` both must match, otherwise either may.
    private func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        // 1970-01-01 was a Thursday.
        let weekday = Self.floorMod(KubeTimestamp.daysFromCivil(year: year, month: month, day: day) + 4, 7)
        let domMatch = daysOfMonth & (1 << UInt64(day)) != 0
        let dowMatch = daysOfWeek & (1 << UInt64(weekday)) != 0
        if dayOfMonthIsStar || dayOfWeekIsStar { return domMatch && dowMatch }
        return domMatch || dowMatch
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }
}
