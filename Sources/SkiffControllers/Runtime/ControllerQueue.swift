import SkiffClient
import SkiffModel
import Synchronization

/// The keys of one controller, as its event handlers and reconciles see them: add one now, after a delay, or report
/// a status to be written at the key's next reconcile. Behind it sit the work queue (one reconcile per key at a time),
/// the delayed keys, the per-key back-off and the status reports.
public final class ControllerQueue: Sendable {
    let work = WorkQueue()
    let delayed: DelayedKeys
    let statuses = StatusUpdates()
    let retry: RetryPolicy
    private let failures = Mutex<[String: Int]>([:])
    private let random: @Sendable () -> Double

    init(clock: ServiceClock, retry: RetryPolicy, random: @escaping @Sendable () -> Double) {
        delayed = DelayedKeys(clock: clock)
        self.retry = retry
        self.random = random
    }

    /// Reconciles `key` as soon as a worker is free (once, however often it is added meanwhile).
    public func add(_ key: String) { work.add(key) }

    /// Reconciles `key` once `delay` has passed on the controller's clock (sooner if it is added sooner).
    public func add(_ key: String, after delay: Duration) {
        delayed.add(key, at: delayed.clock.now + delay)
    }

    /// Reconciles `key` at the end of the next whole `window` on the controller's clock (at least one `window` from
    /// now): every key added this way within one window is due at the same instant, so their reconciles — and the
    /// writes they make — go out together and share the store's group commits, where per-key deadlines would spread
    /// them over the window (the batching of dependents' events: a thousand pods binding, then starting).
    public func add(_ key: String, alignedTo window: Duration) {
        delayed.add(key, at: Self.aligned(delayed.clock.now + window, to: window))
    }

    /// The first multiple of `window` at or after `instant`.
    static func aligned(_ instant: Duration, to window: Duration) -> Duration {
        guard window > .zero else { return instant }
        let ticks = (instant / window).rounded(.up)
        return window * ticks
    }

    /// Records the newest status of `key` and queues it; the status is written once, after that reconcile.
    public func report(status: JSON, for key: String) {
        statuses.report(key, status)
        work.add(key)
    }

    /// Keys waiting for a worker (not the delayed ones).
    public var count: Int { work.count }

    /// The key failed: it comes back after its back-off, which grows with every failure in a row.
    func failed(_ key: String) -> Duration {
        let count = failures.withLock { failures in
            failures[key, default: 0] += 1
            return failures[key]!
        }
        let delay = retry.delay(failures: count, random: random())
        add(key, after: delay)
        return delay
    }

    /// The key succeeded: its next failure starts the back-off afresh.
    func succeeded(_ key: String) {
        failures.withLock { failures in
            if !failures.isEmpty { failures[key] = nil }
        }
    }
}
