import Foundation
import SkiffModel
import Testing

@Suite("Table ages")
struct TableAgeTests {
    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400
    static let durations: [(TimeInterval, String)] = [
        (0, "0s"), (0.9, "0s"), (-1.5, "0s"), (-2, "<invalid>"), (45, "45s"), (119.9, "119s"), (120, "2m"),
        (150, "2m30s"), (599, "9m59s"), (600, "10m"), (9000, "150m"), (10_799, "179m"), (10_800, "3h"),
        (11_100, "3h5m"), (28_799, "7h59m"), (28_800, "8h"), (47 * hour, "47h"), (48 * hour, "2d"),
        (76 * hour, "3d4h"), (8 * day, "8d"), (400 * day, "400d"), (730 * day, "2y"),
        (800 * day, "2y70d"), (9 * 365 * day, "9y"), (.infinity, "<invalid>"),
    ]

    @Test(arguments: durations)
    func humanDuration(seconds: TimeInterval, expected: String) {
        #expect(HumanDuration.format(seconds) == expected)
    }

    @Test(arguments: [
        ("2024-05-01T11:59:15Z", "45s"),
        ("2024-05-01T11:59:15.250000Z", "44s"),  // MicroTime; Go truncates toward zero
        ("2024-05-01t11:55:00z", "5m"),
        ("2024-05-01T13:55:00+02:00", "5m"),
        ("2024-05-01T06:55:00-05:00", "5m"),
        ("2024-02-29T12:00:00Z", "62d"),  // leap day
        ("1999-12-31T23:59:59Z", "24y"),
        ("2024-05-01T12:00:01Z", "0s"),  // small clock skew reads as now
        ("2024-05-01", "<unknown>"),
        ("2024-13-01T00:00:00Z", "<unknown>"),
        ("2024-05-01T12:00:00", "<unknown>"),
        ("2024-05-01T12:00:00.Z", "<unknown>"),
        ("yesterday", "<unknown>"),
    ])
    func ageOfTimestamp(timestamp: String, expected: String) {
        #expect(HumanDuration.since(.string(timestamp), now: TableFixtures.now) == expected)
    }

    @Test func missingTimestamp() {
        #expect(HumanDuration.since(.null, now: TableFixtures.now) == "<unknown>")
        #expect(HumanDuration.since(5, now: TableFixtures.now) == "<unknown>")
    }
}
