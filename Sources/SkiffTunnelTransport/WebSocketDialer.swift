import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The client side of a WebSocket opening handshake on NIO's typed upgrade pipeline: the agent's tunnel to the server
/// (TLS), and the agent's sessions on the container runtime's streaming server (plain, on loopback).
public enum WebSocketDialer {
    /// What a dial got: the WebSocket's frames, or the server's refusal of the upgrade.
    public enum Upgrade: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Connects and asks for a WebSocket at `path`; with `tls`, over TLS with that configuration and server name
    /// (SNI and the certificate check). A refused upgrade closes its connection at once: nothing would read it.
    public static func connect(
        host: String, port: Int, path: String, headers: HTTPHeaders, tls: (TLSConfiguration, String?)?,
        maxFrameSize: Int = TunnelWebSocket.maxMessage, connectTimeout: TimeAmount = .seconds(2)
    ) async throws -> Upgrade {
        let context = try tls.map { try NIOSSLContext(configuration: $0.0) }
        let serverName = tls?.1
        var headers = headers
        headers.replaceOrAdd(name: "Host", value: "\(host.contains(":") ? "[\(host)]" : host):\(port)")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: maxFrameSize,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                .webSocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        })
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: head, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.refused)
                            }))
                    configuration.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration)
                }
            }
        return try await upgrade.get()
    }
}
