/// How long a key waits after its `failures`-th failure in a row: `initial · 2^(failures-1)`, capped at `maximum`,
/// stretched by up to `jitter` (0.1: up to 10 % longer) so that keys failing together do not retry together.
public struct RetryPolicy: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var jitter: Double

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60), jitter: Double = 0.1) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay after `failures` (≥ 1) failures in a row; `random` is a number in 0..<1.
    public func delay(failures: Int, random: Double) -> Duration {
        var delay = initial
        var doublings = max(0, failures - 1)
        while doublings > 0, delay < maximum {
            delay *= 2
            doublings -= 1
        }
        delay = min(delay, maximum)
        return delay + delay * (jitter * random)
    }
}
