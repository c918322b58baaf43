import NIOCore
import NIOWebSocket
import SkiffModel
import Synchronization

/// What runs a connection once it switched to WebSocket (the tunnel, exec, attach, port-forward): handed the channel's
/// frames after the 101 went out; the connection closes when it returns.
typealias WebSocketSession = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async -> Void

/// What the server keeps per client connection: whether it has closed — which ends the requests still waiting on it,
/// such as a watch on a quiet resource that would otherwise notice only at its next write — and the identity of its
/// TLS client certificate, which cannot change on a connection and so is derived once.
final class APIConnection: Sendable {
    private struct State {
        var closed = false
        var nextID = 0
        var onClose: [Int: @Sendable () -> Void] = [:]
        /// nil: not derived yet; `.some(nil)`: the connection has no (usable) client certificate.
        var certificateUser: UserInfo?? = nil
        /// Set by a handler that answered 101; taken by the connection once the answer went out.
        var webSocket: WebSocketSession?
    }

    private let state = Mutex(State())

    init() {}

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Runs `body`; if the connection closes meanwhile (or has already), `onClose` is called once, while `body` runs.
    func whileOpen<T>(
        onClose action: @escaping @Sendable () -> Void, _ body: () async throws -> T
    ) async rethrows -> T {
        let id: Int? = state.withLock { state in
            if state.closed { return nil }
            let id = state.nextID
            state.nextID += 1
            state.onClose[id] = action
            return id
        }
        guard let id else {
            action()
            return try await body()
        }
        defer { _ = state.withLock { $0.onClose.removeValue(forKey: id) } }
        return try await body()
    }

    /// Marks the connection closed and runs the close actions of the requests still waiting on it.
    func close() {
        let actions = state.withLock { state -> [@Sendable () -> Void] in
            state.closed = true
            defer { state.onClose.removeAll() }
            return Array(state.onClose.values)
        }
        for action in actions { action() }
    }

    /// The client certificate's user, once derived (`.some(nil)`: none); nil before the first request derived it.
    var certificateUser: UserInfo?? { state.withLock { $0.certificateUser } }

    func setCertificateUser(_ user: UserInfo?) {
        state.withLock { $0.certificateUser = .some(user) }
    }

    /// Runs `session` on this connection's frames once the 101 response that comes with it has been written.
    func switchToWebSocket(_ session: @escaping WebSocketSession) {
        state.withLock { $0.webSocket = session }
    }

    func takeWebSocketSession() -> WebSocketSession? {
        state.withLock { state in
            defer { state.webSocket = nil }
            return state.webSocket
        }
    }
}
