import Synchronization

/// A one-shot latch: waiters suspend until it opens (containerd ready) or fails (never will be).
final class ReadinessGate: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Void, any Error>])
        case open
        case failed(ContainerdError)
    }

    private let state = Mutex<State>(.waiting([]))

    func wait() async throws(ContainerdError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result = state.withLock { state -> Result<Void, ContainerdError>? in
                    switch state {
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    case .open: return .success(())
                    case .failed(let error): return .failure(error)
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        } catch let error as ContainerdError {
            throw error
        } catch {
            throw ContainerdError(.stopped, "waiting for containerd: \(error)", cause: error)
        }
    }

    func open() { finish(nil) }

    /// Fails current and future waiters; no effect once open.
    func fail(_ error: ContainerdError) { finish(error) }

    private func finish(_ error: ContainerdError?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = error.map { .failed($0) } ?? .open
            return waiters
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }
}
