import ServiceLifecycle
import SkiffModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `Date` header's IMF-fixdate, formatted once per second by its own task instead of on a request's path (as
/// Hummingbird's date cache does). Runs as part of the API server.
final class HTTPDateService: Service, Sendable {
    private let current: Mutex<String>
    private let clock: ServiceClock

    init(clock: ServiceClock = .continuous) {
        self.clock = clock
        current = Mutex(Self.format(secondsSinceEpoch: time(nil)))
    }

    /// The date of the last tick.
    var now: String { current.withLock { $0 } }

    func run() async throws {
        while true {
            // The next second boundary of the wall clock, so the header changes when the second does.
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            let untilNextSecond = Duration.nanoseconds(1_000_000_000 - Int64(spec.tv_nsec))
            do { try await clock.sleep(for: untilNextSecond) } catch { return }
            let text = Self.format(secondsSinceEpoch: time(nil))
            current.withLock { $0 = text }
        }
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(secondsSinceEpoch seconds: Int) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
