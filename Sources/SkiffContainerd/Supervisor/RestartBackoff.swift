/// Exponential back-off between containerd restarts: doubles from `initial` up to `maximum`, and starts over once a
/// run stayed up for `resetAfter`. Pure, so the schedule is unit-tested.
struct RestartBackoff: Sendable, Equatable {
    var initial: Duration = .milliseconds(500)
    var maximum: Duration = .seconds(30)
    var resetAfter: Duration = .seconds(60)
    private(set) var next: Duration = .milliseconds(500)

    init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), resetAfter: Duration = .seconds(60))
    {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
        self.next = initial
    }

    /// The wait before the next start, given how long the run that just ended lasted.
    mutating func delay(afterRunOf uptime: Duration) -> Duration {
        if uptime >= resetAfter { next = initial }
        let delay = next
        next = min(next * 2, maximum)
        return delay
    }
}
