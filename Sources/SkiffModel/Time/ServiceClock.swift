/// The one clock that services wait on: a `Clock` erased to offsets from its creation, so a service holds it without
/// a generic parameter and a test swaps in a manual one (`SkiffTesting.ManualClock`) and moves time by hand.
///
/// Every periodic loop and delayed key in skiff waits through it: `repeating(every:_:)` for periodic work, `sleep`
/// for one-off waits, `now` for deadlines.
public struct ServiceClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// Measures from `clock.now` at creation.
    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// The process's monotonic clock.
    public static var continuous: ServiceClock { ServiceClock(ContinuousClock()) }

    /// Time since the clock was created: deadlines are `now + delay`.
    public var now: Duration { elapsed() }

    /// Waits until `now` reaches `deadline`; throws `CancellationError` when the task is cancelled first.
    public func sleep(until deadline: Duration) async throws { try await sleeper(deadline) }

    /// Waits for `duration`; throws `CancellationError` when the task is cancelled first.
    public func sleep(for duration: Duration) async throws { try await sleeper(now + duration) }

    /// Runs `body` every `interval`, the first time one interval from now, until the task is cancelled. Intervals
    /// are measured from the end of one run to the start of the next, so a slow run never piles up behind itself.
    public func repeating(every interval: Duration, _ body: () async -> Void) async {
        while true {
            do { try await sleep(for: interval) } catch { return }
            await body()
        }
    }
}
