/// Capped exponential backoff with jitter, for reconnecting to a server that is down or restarting.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// Each delay is spread by ± this fraction, so agents that lost the server together do not return together.
    public var jitter: Double

    public init(
        initial: Duration = .seconds(1), maximum: Duration = .seconds(30), multiplier: Double = 2, jitter: Double = 0.2
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The wait before retry `attempt` (1 for the first retry); `unit` is a random number in 0...1.
    public func delay(attempt: Int, unit: Double = Double.random(in: 0...1)) -> Duration {
        let base = Self.seconds(initial) * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, Self.seconds(maximum))
        let spread = capped * (1 + jitter * (2 * unit - 1))
        return .milliseconds(Int64((max(0, spread) * 1000).rounded()))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        // Past the cap the exact value no longer matters; stop before it overflows.
        while remaining > 0, result < 1e9 {
            result *= base
            remaining -= 1
        }
        return result
    }
}
