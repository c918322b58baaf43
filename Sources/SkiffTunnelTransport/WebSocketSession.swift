import Logging
import NIOCore
import NIOWebSocket
@_spi(WSInternal) import WSCore

/// One WebSocket run by WSCore's handler (pings, close handshake, fragments), with the settings every WebSocket of
/// this module shares: no extensions, binary messages up to `TunnelWebSocket.maxMessage`, a 2 s close handshake.
enum WebSocketSession {
    struct Context: WebSocketContext {
        let logger: Logger
    }

    /// Runs `handler` on the frames; answers the peer's close frame, nil when none came (a silent link given up, a
    /// connection closed without a word).
    @discardableResult
    static func run(
        _ frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, client: Bool, pingInterval: Duration? = nil,
        logger: Logger, handler: @escaping WebSocketDataHandler<Context>
    ) async throws -> WebSocketCloseFrame? {
        let configuration = WebSocketHandler.Configuration(
            extensions: [], autoPing: pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled,
            closeTimeout: .seconds(2),
            validateUTF8: false, maxFrameSize: TunnelWebSocket.maxMessage)
        return try await WebSocketHandler.handle(
            type: client ? .client : .server, configuration: configuration, asyncChannel: frames,
            context: Context(logger: logger), handler: handler)
    }
}
