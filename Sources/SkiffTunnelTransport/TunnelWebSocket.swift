import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import SkiffTunnel
@_spi(WSInternal) import WSCore

/// The tunnel's transport: a `TunnelSession` over one WebSocket, each binary message one `TunnelFrame`. Frames are
/// NIOWebSocket's, and pings, the close handshake and fragments WSCore's; both ends (the server's listener, the
/// agent's dialer) run the same code here.
public enum TunnelWebSocket {
    /// The WebSocket subprotocol of the tunnel, version 1 of `TunnelFrame`; the server refuses any other.
    public static let subprotocol = "skiff-tunnel.v1"
    /// The largest WebSocket message either side accepts (a tunnel frame is at most 32 KiB and its header).
    public static let maxMessage = 1 << 20

    /// Runs `session` over a WebSocket's frames until either side ends it. A ping goes out every `pingInterval`,
    /// and the link is given up when one is still unanswered at the next: a dead link (no FIN, no RST) is found
    /// within two intervals. Returns whether the peer closed the WebSocket (a close frame came): false for a link
    /// given up for silence, or closed without a word.
    @discardableResult
    public static func run(
        _ session: TunnelSession, on frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, client: Bool,
        pingInterval: Duration, logger: Logger, accept: @escaping @Sendable (TunnelStream) async -> Void
    ) async throws -> Bool {
        let peerClose = try await WebSocketSession.run(
            frames, client: client, pingInterval: pingInterval, logger: logger
        ) { inbound, outbound, _ in
            try await session.serve(
                inbound: inbound.messages(maxSize: maxMessage).compactMap { message -> [UInt8]? in
                    guard case .binary(let buffer) = message else { return nil }
                    return Array(buffer.readableBytesView)
                },
                write: { message in try await outbound.write(.binary(ByteBuffer(bytes: message))) },
                accept: accept)
        }
        return peerClose != nil
    }

    /// Connects over TLS and asks for the tunnel's WebSocket at `path`. `serverName` is the TLS server name (SNI
    /// and the certificate check).
    public static func dial(
        host: String, port: Int, path: String, headers: HTTPHeaders, tls: TLSConfiguration, serverName: String?
    ) async throws -> WebSocketDialer.Upgrade {
        var headers = headers
        headers.replaceOrAdd(name: "Sec-WebSocket-Protocol", value: subprotocol)
        return try await WebSocketDialer.connect(
            host: host, port: port, path: path, headers: headers, tls: (tls, serverName))
    }
}
