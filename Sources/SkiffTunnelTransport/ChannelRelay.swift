import Logging
import NIOCore
import NIOWebSocket
import SkiffTunnel
@_spi(WSInternal) import WSCore

/// Relays a Kubernetes stream session (`v4`/`v5.channel.k8s.io`: every binary message `[channel][payload]`) between a
/// WebSocket and a tunnel stream carrying the same channels as `StreamChannels` records. The server relays kubectl's
/// WebSocket to the node's tunnel; the agent relays the tunnel to the container runtime's streaming server. Either
/// side ending ends the other: the WebSocket closing closes the stream, the stream ending closes the WebSocket
/// (after what was in flight).
public enum ChannelRelay {
    /// Runs until the peer ends the stream; the caller closes its side afterwards. `dropping` names channels not passed on to the WebSocket (the v5 close
    /// signal, which a v4 peer does not know).
    public static func relay(
        _ frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, client: Bool, stream: TunnelStream,
        dropping: Set<UInt8> = [], logger: Logger
    ) async throws {
        try await WebSocketSession.run(frames, client: client, logger: logger) { inbound, outbound, _ in
            try await withThrowingTaskGroup { group in
                // WebSocket → tunnel. The WebSocket's end closes this side of the stream (the peer then ends its
                // side); its failure resets the stream.
                group.addTask {
                    do {
                        for try await message in inbound.messages(maxSize: StreamChannels.maximumPayload) {
                            guard case .binary(let buffer) = message,
                                let channel = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)
                            else { continue }
                            try await stream.write(
                                StreamChannels.encode(channel: channel, buffer.readableBytesView.dropFirst()))
                        }
                        stream.close()
                    } catch  where Task.isCancelled {
                        stream.close()  // the peer ended the session first
                    } catch {
                        stream.reset(reason: "the WebSocket failed: \(error)")
                    }
                }
                // Tunnel → WebSocket, until the peer ends the stream: then the session is over.
                var decoder = StreamChannels.Decoder()
                for try await chunk in stream {
                    for record in try decoder.feed(chunk) where !dropping.contains(record.channel) {
                        var message = ByteBuffer()
                        message.writeInteger(record.channel)
                        message.writeBytes(record.payload)
                        try await outbound.write(.binary(message))
                    }
                }
                group.cancelAll()
            }
        }
    }
}
