import Foundation
import SkiffTesting
import Testing

@testable import SkiffCLI

/// The snapshot schedule (cron as k3s takes it) and retention.
@Suite struct SnapshotScheduleTests {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static func next(_ cron: String, after: String) throws -> String? {
        try CronSchedule(parsing: cron).next(after: date(after), calendar: utc).map {
            ISO8601DateFormatter().string(from: $0)
        }
    }

    @Test func fieldsRangesStepsListsAndNames() throws {
        // k3s' default: twice a day.
        #expect(try Self.next("0 */12 * * *", after: "2026-12-07T04:41:00Z") == "2026-12-07T12:00:00Z")
        #expect(try Self.next("0 */12 * * *", after: "2026-12-07T12:00:00Z") == "2026-12-08T00:00:00Z")
        #expect(try Self.next("*/15 * * * *", after: "2026-12-07T04:41:30Z") == "2026-12-07T04:45:00Z")
        #expect(try Self.next("5,35 1-3 * * *", after: "2026-12-07T03:36:00Z") == "2026-12-08T01:05:00Z")
        #expect(try Self.next("0 0 1 jan *", after: "2026-12-07T00:00:00Z") == "2027-01-01T00:00:00Z")
        #expect(try Self.next("30 2 * * mon-fri", after: "2026-12-11T03:00:00Z") == "2026-12-14T02:30:00Z")
        #expect(try Self.next("0 0 * * 7", after: "2026-12-07T00:00:00Z") == "2026-12-13T00:00:00Z", "7 is Sunday")
        #expect(try Self.next("10/20 * * * *", after: "2026-12-07T04:31:00Z") == "2026-12-07T04:50:00Z")
        // Both day fields restricted: either matches (the 13th, or a Friday).
        #expect(try Self.next("0 0 13 * fri", after: "2026-12-07T00:00:00Z") == "2026-12-11T00:00:00Z")
        #expect(try Self.next("0 0 29 2 *", after: "2026-12-07T00:00:00Z") == "2028-02-29T00:00:00Z")
        #expect(try Self.next("0 0 30 2 *", after: "2026-12-07T00:00:00Z") == nil, "30 February never comes")
    }

    @Test func descriptorsAndEvery() throws {
        #expect(try Self.next("@hourly", after: "2026-12-07T04:41:00Z") == "2026-12-07T05:00:00Z")
        #expect(try Self.next("@daily", after: "2026-12-07T04:41:00Z") == "2026-12-08T00:00:00Z")
        #expect(try Self.next("@weekly", after: "2026-12-07T04:41:00Z") == "2026-12-13T00:00:00Z")
        #expect(try Self.next("@monthly", after: "2026-12-07T04:41:00Z") == "2027-01-01T00:00:00Z")
        #expect(try Self.next("@every 90s", after: "2026-12-07T04:41:00Z") == "2026-12-07T04:42:30Z")
    }

    @Test func badSchedulesSayWhichFieldIsWrong() {
        func message(_ cron: String) -> String? {
            do {
                _ = try CronSchedule(parsing: cron)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            message("0 */12 * *") == "\"0 */12 * *\": expected five fields (minute hour day-of-month month day-of-week)"
        )
        #expect(message("61 * * * *") == "\"61 * * * *\": minute field \"61\": 61 is outside 0-59")
        #expect(message("0 0 * foo *") == "\"0 0 * foo *\": month field \"foo\": \"foo\" is not a number")
        #expect(message("*/0 * * * *") == "\"*/0 * * * *\": minute field \"*/0\": step \"0\" must be a positive number")
        #expect(message("0 5-2 * * *") == "\"0 5-2 * * *\": hour field \"5-2\": range 5-2 runs backwards")
        #expect(message("@every soon") == "\"@every soon\": @every needs a duration of 1s or more, like @every 6h")
        #expect(message("0 0 * * *") == nil)
    }

    @Test func retentionKeepsTheNewestScheduledSnapshotsOfThisNode() {
        func entry(_ name: String) -> SnapshotFolder.Entry {
            SnapshotFolder.Entry(name: name, size: 1, created: SnapshotFolder.timestamp(in: name) ?? Date())
        }
        let entries = [
            "skiff-snapshot-a-100", "skiff-snapshot-a-300", "skiff-snapshot-a-200", "skiff-snapshot-b-50",
            "on-demand-a-10", "skiff-snapshot-a-400",
        ].map(entry)
        #expect(
            SnapshotFolder.expired(entries, prefix: "skiff-snapshot-a", retention: 2).map(\.name) == [
                "skiff-snapshot-a-200", "skiff-snapshot-a-100",
            ])
        #expect(SnapshotFolder.expired(entries, prefix: "skiff-snapshot-a", retention: 9).isEmpty)
        #expect(
            SnapshotFolder.timestamp(in: "skiff-snapshot-edge-1-1765000000")
                == Date(timeIntervalSince1970: 1_765_000_000))
        #expect(SnapshotFolder.timestamp(in: "mine.db") == nil)
    }

    @Test func theFolderListsNewestFirstAndPrunes() throws {
        let directory = try TemporaryDirectory("skiff-snapshots")
        defer { directory.remove() }
        let folder = SnapshotFolder(directory: directory.path)
        for name in ["skiff-snapshot-n-1", "skiff-snapshot-n-3", "skiff-snapshot-n-2", "x.partial", "on-demand-n-5"] {
            try "db".write(toFile: folder.path(name), atomically: true, encoding: .utf8)
        }
        #expect(
            try folder.list().map(\.name) == [
                "on-demand-n-5", "skiff-snapshot-n-3", "skiff-snapshot-n-2", "skiff-snapshot-n-1",
            ])
        #expect(
            try folder.prune(prefix: "skiff-snapshot-n", retention: 1) == ["skiff-snapshot-n-2", "skiff-snapshot-n-1"])
        #expect(try folder.list().map(\.name) == ["on-demand-n-5", "skiff-snapshot-n-3"])
        #expect(
            SnapshotCommand.List.columns([["Name", "Size"], ["long-name", "1"]]) == [
                "Name        Size", "long-name   1",
            ])
    }
}
