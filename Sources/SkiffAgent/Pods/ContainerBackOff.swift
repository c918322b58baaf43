/// The kubelet's crash-loop and image-pull back-off (client-go `flowcontrol.Backoff`): per key (pod uid + container
/// name), 10 s doubling to a cap of 300 s, forgotten once 2 × cap (10 min) passes without a new failure.
/// Times are nanoseconds since the epoch, from the injected clock.
struct ContainerBackOff: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var delay: Duration
        var lastUpdate: Int64
    }

    var initial: Duration = .seconds(10)
    var maximum: Duration = .seconds(300)
    private(set) var entries: [String: Entry] = [:]

    init(initial: Duration = .seconds(10), maximum: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = maximum
    }

    static func key(uid: String, container: String) -> String { "\(uid)/\(container)" }

    private func expired(_ entry: Entry, at eventTime: Int64) -> Bool {
        Duration.nanoseconds(eventTime - entry.lastUpdate) > maximum * 2
    }

    /// The current delay for `key` (what the CrashLoopBackOff message names).
    func delay(_ key: String) -> Duration { entries[key]?.delay ?? initial }

    /// Whether a restart after a failure at `eventTime` must still wait at `now`, and for how long.
    func remaining(_ key: String, since eventTime: Int64, now: Int64) -> Duration? {
        guard let entry = entries[key], !expired(entry, at: eventTime) else { return nil }
        let passed = Duration.nanoseconds(now - eventTime)
        return passed < entry.delay ? entry.delay - passed : nil
    }

    /// How long `key` must still wait at `now`, measured from its last recorded failure (image pulls).
    func remaining(_ key: String, now: Int64) -> Duration? {
        guard let entry = entries[key] else { return nil }
        return remaining(key, since: entry.lastUpdate, now: now)
    }

    /// Records a restart for a failure at `eventTime`: the delay doubles (capped), or starts afresh after a long calm.
    mutating func next(_ key: String, eventTime: Int64) {
        if var entry = entries[key], !expired(entry, at: eventTime) {
            entry.delay = min(entry.delay * 2, maximum)
            entry.lastUpdate = eventTime
            entries[key] = entry
        } else {
            entries[key] = Entry(delay: initial, lastUpdate: eventTime)
        }
    }

    mutating func forget(uid: String) { entries = entries.filter { !$0.key.hasPrefix(uid + "/") } }
}
