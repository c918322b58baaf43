import Foundation

/// A cron schedule as k3s' `--etcd-snapshot-schedule-cron` takes it: five fields (minute, hour, day of month, month,
/// day of week) with `*`, lists, ranges, steps and month and day names; the descriptors `@yearly`, `@monthly`,
/// `@weekly`, `@daily`, `@hourly`; and `@every <duration>`. When both day fields are restricted, either matches, as
/// in cron. Pure: `next(after:)` is computed in the given calendar (the server's local time zone by default).
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case every(Duration)
        case fields(Fields)
    }

    struct Fields: Sendable, Equatable {
        var minutes: Set<Int>
        var hours: Set<Int>
        var daysOfMonth: Set<Int>
        var months: Set<Int>
        var daysOfWeek: Set<Int>
        var daysOfMonthRestricted: Bool
        var daysOfWeekRestricted: Bool
    }

    let kind: Kind
    public let description: String

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        let descriptors = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        if trimmed.hasPrefix("@every ") {
            let value = trimmed.dropFirst("@every ".count).trimmingCharacters(in: .whitespaces)
            guard let interval = GoDuration.parse(value), interval >= .seconds(1) else {
                throw Invalid(description: "\"\(trimmed)\": @every needs a duration of 1s or more, like @every 6h")
            }
            kind = .every(interval)
            return
        }
        let expression = descriptors[trimmed.lowercased()] ?? trimmed
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Invalid(
                description: "\"\(trimmed)\": expected five fields (minute hour day-of-month month day-of-week)")
        }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        func field(_ index: Int, _ name: String, _ range: ClosedRange<Int>, names: [String] = [], base: Int = 0)
            throws(Invalid) -> Set<Int>
        {
            do {
                return try Self.parse(fields[index], range: range, names: names, nameBase: base)
            } catch {
                throw Invalid(description: "\"\(trimmed)\": \(name) field \"\(fields[index])\": \(error.description)")
            }
        }
        var daysOfWeek = try field(4, "day-of-week", 0...7, names: days)
        if daysOfWeek.remove(7) != nil { daysOfWeek.insert(0) }  // 7 is Sunday too
        kind = .fields(
            Fields(
                minutes: try field(0, "minute", 0...59), hours: try field(1, "hour", 0...23),
                daysOfMonth: try field(2, "day-of-month", 1...31),
                months: try field(3, "month", 1...12, names: months, base: 1),
                daysOfWeek: daysOfWeek, daysOfMonthRestricted: !fields[2].hasPrefix("*"),
                daysOfWeekRestricted: !fields[4].hasPrefix("*")))
    }

    /// One field: `*`, `a`, `a-b`, with `/step`, comma-separated.
    static func parse(_ text: String, range: ClosedRange<Int>, names: [String], nameBase: Int) throws(Invalid)
        -> Set<Int>
    {
        func value(_ token: Substring) throws(Invalid) -> Int {
            if let number = Int(token) {
                guard range.contains(number) else {
                    throw Invalid(description: "\(number) is outside \(range.lowerBound)-\(range.upperBound)")
                }
                return number
            }
            if let index = names.firstIndex(of: token.lowercased()) { return index + nameBase }
            throw Invalid(description: "\"\(token)\" is not a number")
        }
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw Invalid(description: "step \"\(pieces[1])\" must be a positive number")
                }
                step = parsed
            }
            let span = pieces[0]
            let lower: Int
            var upper: Int
            if span == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = span.firstIndex(of: "-") {
                lower = try value(span[..<dash])
                upper = try value(span[span.index(after: dash)...])
                guard lower <= upper else { throw Invalid(description: "range \(span) runs backwards") }
            } else {
                lower = try value(span)
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            if upper > range.upperBound { upper = range.upperBound }
            values.formUnion(stride(from: lower, through: upper, by: step))
        }
        return values
    }

    /// The first time after `date` the schedule fires; nil if it never does (such as 30 February).
    public func next(after date: Date, calendar: Calendar = .current) -> Date? {
        switch kind {
        case .every(let interval):
            let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            return date.addingTimeInterval(seconds)
        case .fields(let fields):
            return fields.next(after: date, calendar: calendar)
        }
    }
}

extension CronSchedule.Fields {
    func next(after date: Date, calendar: Calendar) -> Date? {
        // From the next whole minute; each mismatch skips to the start of the next month, day, hour or minute.
        guard let minuteStart = calendar.dateInterval(of: .minute, for: date)?.start,
            var candidate = calendar.date(byAdding: .minute, value: 1, to: minuteStart)
        else { return nil }
        // Five years of skips cover every schedule that ever fires (29 February comes within eight years, but
        // month-by-month and day-by-day skips count a few hundred per year at most).
        for _ in 0..<20_000 {
            let parts = calendar.dateComponents([.month, .day, .hour, .minute, .weekday], from: candidate)
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
                let weekday = parts.weekday
            else { return nil }
            let unit: Calendar.Component
            if !months.contains(month) {
                unit = .month
            } else if !dayMatches(day: day, weekday: weekday - 1) {
                unit = .day
            } else if !hours.contains(hour) {
                unit = .hour
            } else if !minutes.contains(minute) {
                unit = .minute
            } else {
                return candidate
            }
            guard let start = calendar.dateInterval(of: unit, for: candidate)?.start,
                let following = calendar.date(byAdding: unit, value: 1, to: start)
            else { return nil }
            candidate = following
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        if daysOfMonthRestricted && daysOfWeekRestricted {
            return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        }
        return daysOfMonth.contains(day) && daysOfWeek.contains(weekday)
    }
}
