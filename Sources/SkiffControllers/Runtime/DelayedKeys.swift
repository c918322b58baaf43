import SkiffModel
import Synchronization

/// Keys to hand to the work queue later (requeue-after, retries after back-off, batched dependents), each kept at
/// the earliest time asked. `run` sleeps on the clock until the earliest deadline, and is woken early only when a key
/// arrives with a deadline before it: adding a key that is already due sooner costs one lock and nothing else.
final class DelayedKeys: Sendable {
    private struct State {
        var due: [String: Duration] = [:]
        /// The deadline `run` sleeps towards (nil: it waits for the first key).
        var armed: Duration?
        /// Deadlines a sleeper task is already waiting for (one each).
        var sleeping: Set<Duration> = []
        var waiter: CheckedContinuation<Void, Never>?
        var woken = false
    }

    private let state = Mutex(State())
    let clock: ServiceClock

    init(clock: ServiceClock) { self.clock = clock }

    /// Queues `key` once `clock.now` reaches `deadline` (or sooner, if it was asked for sooner already).
    func add(_ key: String, at deadline: Duration) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let existing = state.due[key], existing <= deadline { return nil }
            state.due[key] = deadline
            if let armed = state.armed, armed <= deadline { return nil }
            state.armed = deadline
            return Self.wake(&state)
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.due.count } }

    /// Whether `key` still waits for its time.
    func isWaiting(_ key: String) -> Bool { state.withLock { $0.due[key] != nil } }

    /// Hands due keys to `ready` until cancelled.
    func run(_ ready: @escaping @Sendable (String) -> Void) async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = clock.now
                let (keys, sleep) = state.withLock { state -> ([String], Duration?) in
                    var keys: [String] = []
                    var next: Duration?
                    for (key, deadline) in state.due {
                        if deadline <= now {
                            keys.append(key)
                        } else if next.map({ deadline < $0 }) ?? true {
                            next = deadline
                        }
                    }
                    for key in keys { state.due[key] = nil }
                    state.armed = next
                    guard let next, state.sleeping.insert(next).inserted else { return (keys, nil) }
                    return (keys, next)
                }
                for key in keys { ready(key) }
                if let sleep {
                    let clock = clock
                    group.addTask {
                        // A sleeper outrun by an earlier key still wakes the loop once at its deadline: harmless.
                        try? await clock.sleep(until: sleep)
                        self.poke(after: sleep)
                    }
                }
                await waitForPoke()
            }
        }
    }

    private func poke(after sleep: Duration? = nil) {
        let waiter = state.withLock { state in
            if let sleep { state.sleeping.remove(sleep) }
            return Self.wake(&state)
        }
        waiter?.resume()
    }

    private static func wake(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard let waiter = state.waiter else {
            state.woken = true
            return nil
        }
        state.waiter = nil
        return waiter
    }

    private func waitForPoke() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resume = state.withLock { state -> Bool in
                    if state.woken || Task.isCancelled {
                        state.woken = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resume { continuation.resume() }
            }
        } onCancel: {
            poke()
        }
    }
}
