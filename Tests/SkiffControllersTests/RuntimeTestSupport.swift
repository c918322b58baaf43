import Logging
import SkiffClient
import SkiffModel
import Synchronization

@testable import SkiffControllers

/// A source the test drives: it syncs when told to, and its `run` ends (recorded) when cancelled.
final class TestSource: ControllerSource {
    let synced = Latch()
    let stopped = Latch()
    private let stream: AsyncStream<ClusterEvent>
    private let continuation: AsyncStream<ClusterEvent>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream() }

    func run(onChange: Informer.Handler) async {
        for await event in stream { await onChange(event) }
        stopped.open()
    }

    func waitUntilSynced() async { await synced.wait() }

    /// Reports a change to the object `name`.
    func emit(_ name: String) {
        continuation.yield(ClusterEvent(kind: .modified, object: ["metadata": ["name": .string(name)]]))
    }
}

/// What happened in a test's controller, and a way to wait for a condition on it without polling: every change
/// re-checks the waiting conditions.
final class Journal: Sendable {
    struct State {
        /// Reconciles started, per key.
        var started: [String: Int] = [:]
        /// Reconciles finished, per key.
        var finished: [String: Int] = [:]
        var active: [String: Int] = [:]
        var maxActive: [String: Int] = [:]
        var handled: [String] = []
        var writes: [JSON] = []
        var notes: [String] = []
    }

    private struct Waiter {
        var condition: @Sendable (State) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state = Mutex<(State, [Waiter])>((State(), []))

    var snapshot: State { state.withLock { $0.0 } }

    func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { pair -> [CheckedContinuation<Void, Never>] in
            change(&pair.0)
            let current = pair.0
            let ready = pair.1.filter { $0.condition(current) }.map(\.continuation)
            pair.1.removeAll { $0.condition(current) }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `condition` holds, or once the task is cancelled (a test's time limit ends a hang).
    func wait(until condition: @escaping @Sendable (State) -> Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { pair -> Bool in
                    if condition(pair.0) || Task.isCancelled { return true }
                    pair.1.append(Waiter(condition: condition, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            // Releases every waiter: they re-check nothing, the test is over.
            let waiters = state.withLock { pair -> [CheckedContinuation<Void, Never>] in
                defer { pair.1.removeAll() }
                return pair.1.map(\.continuation)
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    func begin(_ key: String) {
        update { state in
            state.started[key, default: 0] += 1
            state.active[key, default: 0] += 1
            state.maxActive[key] = max(state.maxActive[key] ?? 0, state.active[key]!)
        }
    }

    func end(_ key: String) {
        update { state in
            state.active[key, default: 0] -= 1
            state.finished[key, default: 0] += 1
        }
    }
}

extension Logger {
    static let runtimeTests = Logger(label: "skiff.runtime-tests")
}

/// Runs `controller` while `body` runs, then cancels it.
func withRunning<T: Sendable>(_ controller: Controller, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await controller.run() }
        let result = try await body()
        group.cancelAll()
        return result
    }
}
