import Synchronization

/// Fans committed events out to watchers. Publishing is push-based and the same `WatchEvent` (whose byte arrays are
/// shared, copy-on-write) reaches every watcher; no per-watcher copy or re-encoding happens here. Shared with the
/// PostgreSQL store (`@_spi(StoreImplementation)`), whose follower publishes what it reads back from the database.
@_spi(StoreImplementation) public final class WatchHub: Sendable {
    private struct State {
        var nextID = 0
        var lastPublished: Revision
        var subscribers: [Int: Subscriber] = [:]
        var closed = false
    }

    private struct Subscriber {
        var prefix: String
        /// The revision the watch started after: later publishes never deliver anything at or below it (a store whose
        /// hub lags the database can hand out newer revisions than it has published).
        var after: Revision
        var queue: WatchQueue
        /// Events published while the subscriber replays history; nil once live.
        var held: [WatchEvent]?
    }

    private let state: Mutex<State>
    /// How many undelivered events a watcher may accumulate before it is cut off with `.expired`.
    let maxBacklog: Int

    public init(lastPublished: Revision, maxBacklog: Int) {
        self.state = Mutex(State(lastPublished: lastPublished))
        self.maxBacklog = maxBacklog
    }

    public var lastPublished: Revision { state.withLock { $0.lastPublished } }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Delivers one committed batch, in revision order. Called by the single committer.
    public func publish(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { Self.deliver(events[...], &$0) }
    }

    /// For a store with two publishers (its writer publishing its own commits, a follower reading everyone's):
    /// delivers the part of `events` (consecutive revisions, in order) that continues what was published. Events at
    /// or below `lastPublished` were delivered already and are skipped; if the first remaining one is not the next
    /// revision, nothing is delivered. Returns `lastPublished` afterwards.
    @discardableResult
    public func publishContinuing(_ events: [WatchEvent]) -> Revision {
        state.withLock { state in
            let fresh = events.drop { $0.revision <= state.lastPublished }
            if let first = fresh.first, first.revision == state.lastPublished + 1 { Self.deliver(fresh, &state) }
            return state.lastPublished
        }
    }

    private static func deliver(_ events: ArraySlice<WatchEvent>, _ state: inout State) {
        guard let last = events.last else { return }
        state.lastPublished = last.revision
        for (id, subscriber) in state.subscribers {
            // Byte comparison: keys are ASCII paths, and `hasPrefix` compares by Unicode rules (measurably slower,
            // run for every subscriber on every commit).
            let matching = events.filter {
                $0.revision > subscriber.after && $0.current.key.utf8.starts(with: subscriber.prefix.utf8)
            }
            if matching.isEmpty { continue }
            if subscriber.held != nil {
                state.subscribers[id]?.held?.append(contentsOf: matching)
            } else {
                subscriber.queue.push(matching)
            }
        }
    }

    /// Subscribes to `prefix`: replays history after `revision` with `history`, then switches to live events.
    /// `history(from, through)` must return the committed events in (from, through] under the prefix.
    public func subscribe(
        prefix: String,
        after revision: Revision,
        history: (Revision, Revision) async throws(StoreError) -> [WatchEvent]
    ) async throws(StoreError) -> WatchStream {
        let queue = WatchQueue(maxBacklog: maxBacklog)
        let registered: (id: Int, through: Revision)? = state.withLock { state in
            if state.closed { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(prefix: prefix, after: revision, queue: queue, held: [])
            return (id, state.lastPublished)
        }
        guard let (id, through) = registered else { throw StoreError(.closed, "store is closed") }
        let stream = WatchStream(queue: queue) { [weak self] in self?.unsubscribe(id) }
        do {
            if revision < through {
                queue.push(try await history(revision, through), countsAgainstBacklog: false)
            }
        } catch {
            unsubscribe(id)
            throw error
        }
        state.withLock { state in
            guard let held = state.subscribers[id]?.held else { return }
            state.subscribers[id]?.held = nil
            queue.push(held.filter { $0.revision > revision })
        }
        return stream
    }

    private func unsubscribe(_ id: Int) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
    }

    /// Ends every current watch with `error` and stays open for new ones; `revision`, when given, becomes the last
    /// published one (events up to it were never delivered: the watches ended so their clients relist).
    public func cutOff(_ error: StoreError, advancingTo revision: Revision? = nil) {
        let queues = state.withLock { state in
            if let revision { state.lastPublished = max(state.lastPublished, revision) }
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.queue)
        }
        for queue in queues { queue.finish(error) }
    }

    /// Ends every watch with `.closed`; later subscriptions fail.
    public func close() {
        let queues = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.queue)
        }
        for queue in queues { queue.finish(StoreError(.closed, "store is closed")) }
    }
}
