#if canImport(Glibc)
import Glibc
#endif
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Wraps the TLS HTTP/1.1 child channel with what a prompt graceful shutdown needs:
///
/// - No remote half-closure. Hummingbird enables it, but over TLS it stalls every server-initiated close: once
///   `NIOSSLHandler` has sent its close_notify it neither finishes on the peer's answering close_notify nor on the
///   peer's FIN while half-closure is allowed, and waits out its shutdown timeout instead. A client that goes away
///   (close_notify or FIN) now closes the connection at once, as Go's server does.
/// - Each connection is registered in `connections` (its `APIConnection`) until it closes.
/// - TCP keepalive finds peers whose link died silently.
/// - Its requests are handled on its event loop.
struct APIConnectionChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let connections: APIConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            try Self.keepAlive(channel)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        connections.open(channel)
        return base.setup(channel: channel, logger: logger)
    }

    /// TCP keepalive, so a peer behind a link that died without FIN or RST (an edge box losing power or its uplink)
    /// is found within about a minute and its watches and connection released: probes after 30 s idle, every 10 s,
    /// given up after 3.
    static func keepAlive(_ channel: any Channel) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        try options.setOption(ChannelOptions.tcpOption(.init(rawValue: CInt(TCP_KEEPIDLE))), value: 30)
        try options.setOption(ChannelOptions.tcpOption(.init(rawValue: CInt(TCP_KEEPINTVL))), value: 10)
        try options.setOption(ChannelOptions.tcpOption(.init(rawValue: CInt(TCP_KEEPCNT))), value: 3)
        #endif
    }

    /// Handles the connection's requests on its own event loop (`EventLoopTaskExecutor`): measured ~10 % more
    /// creates/s at 16 clients than hopping to Swift's task pool and back for every request.
    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

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
}

/// The open connections by channel, so a request finds its connection's `APIConnection`. Hummingbird hands a request
/// only its channel; NIO channels carry no user data.
final class APIConnections: Sendable {
    private let connections = Mutex<[ObjectIdentifier: APIConnection]>([:])

    init() {}

    /// Registers `channel` until its close future completes, which also closes its `APIConnection`.
    func open(_ channel: any Channel) {
        let connection = APIConnection()
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = connection }
        channel.closeFuture.whenComplete { _ in
            self.connections.withLock { connections in
                if connections[id] === connection { connections[id] = nil }
            }
            connection.close()
        }
    }

    /// The connection `channel` belongs to. A channel not registered (already closed, or a test's) gets a connection
    /// of its own for this request, so its closure is still seen.
    func connection(for channel: any Channel) -> APIConnection {
        if let connection = connections.withLock({ $0[ObjectIdentifier(channel)] }) { return connection }
        let connection = APIConnection()
        channel.closeFuture.whenComplete { _ in connection.close() }
        return connection
    }

    var count: Int { connections.withLock { $0.count } }
}
