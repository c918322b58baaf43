import Logging
import NIOCore
import NIOWebSocket
import SkiffSPDY
import SkiffTunnel
import Synchronization
@_spi(WSInternal) import WSCore

/// `kubectl port-forward` on the API server: kubectl's WebSocket (`SPDY/3.1+portforward.k8s.io`) carries a SPDY byte
/// stream in which this side is the SPDY server. For each local connection kubectl opens an error stream and a data
/// stream with the same `requestid` and `port` headers; once both are there, a tunnel stream is opened to the pod's
/// node (`open`) and the data stream is relayed with it (`StreamChannels`: data on channel 0, error text on channel 1).
/// kubectl's FIN on the data stream closes the tunnel's side; the node's end of the tunnel ends both SPDY streams.
public enum PortForwardRelay {
    /// The WebSocket subprotocol kubectl 1.30+ asks for.
    public static let subprotocol = "SPDY/3.1+portforward.k8s.io"

    struct Request {
        var port: UInt16?
        var error: UInt32?
        var data: UInt32?
    }

    /// Stream state shared by the reading loop and the per-connection relays.
    final class Connections: Sendable {
        /// The tunnel stream of each SPDY data stream.
        let tunnels = Mutex<[UInt32: TunnelStream]>([:])
    }

    public static func run(
        _ frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>,
        open: @escaping @Sendable (UInt16) throws -> TunnelStream, logger: Logger
    ) async throws {
        try await WebSocketSession.run(frames, client: false, logger: logger) { inbound, outbound, _ in
            let framer = try SPDYFramer()
            let connections = Connections()
            @Sendable func send(_ bytes: [UInt8]) async throws {
                try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
            }
            @Sendable func send(_ frame: SPDYFrame) async throws {
                if let bytes = SPDYFramer.encode(withoutHeaders: frame) { try await send(bytes) }
            }
            var requests: [String: Request] = [:]
            try await withThrowingDiscardingTaskGroup { group in
                reading: for try await message in inbound.messages(maxSize: TunnelWebSocket.maxMessage) {
                    guard case .binary(let buffer) = message else { continue }
                    for frame in try framer.feed(buffer.readableBytesView) {
                        switch frame {
                        case .synStream(let id, _, _, let headers):
                            try await send(framer.encode(.synReply(stream: id, headers: [])))
                            func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
                            guard let requestID = header("requestid") else {
                                try await send(.rstStream(stream: id, status: SPDYFrame.protocolError))
                                continue
                            }
                            var request = requests[requestID] ?? Request()
                            request.port = request.port ?? header("port").flatMap(UInt16.init)
                            if header("streamtype") == "error" { request.error = id } else { request.data = id }
                            requests[requestID] = request
                            guard let errorStream = request.error, let dataStream = request.data else { continue }
                            requests[requestID] = nil
                            guard let port = request.port, port > 0 else {
                                try await send(
                                    .data(
                                        stream: errorStream, fin: true,
                                        Array("invalid port in request \(requestID)".utf8)))
                                try await send(.data(stream: dataStream, fin: true, []))
                                continue
                            }
                            let tunnel: TunnelStream
                            do {
                                tunnel = try open(port)
                            } catch {
                                try await send(.data(stream: errorStream, fin: true, Array("\(error)".utf8)))
                                try await send(.data(stream: dataStream, fin: true, []))
                                continue
                            }
                            connections.tunnels.withLock { $0[dataStream] = tunnel }
                            // Node → kubectl, until the node ends the tunnel stream.
                            group.addTask {
                                var decoder = StreamChannels.Decoder()
                                do {
                                    for try await chunk in tunnel {
                                        for record in try decoder.feed(chunk) {
                                            let id = record.channel == 1 ? errorStream : dataStream
                                            try await send(.data(stream: id, record.payload))
                                        }
                                    }
                                } catch {
                                    logger.debug(
                                        "port-forward stream ended", metadata: ["port": "\(port)", "error": "\(error)"])
                                }
                                try? await send(.data(stream: dataStream, fin: true, []))
                                try? await send(.data(stream: errorStream, fin: true, []))
                                connections.tunnels.withLock { $0[dataStream] = nil }
                                tunnel.close()
                            }
                        case .data(let id, let fin, let bytes):
                            guard let tunnel = connections.tunnels.withLock({ $0[id] }) else { continue }
                            if !bytes.isEmpty { try? await tunnel.write(StreamChannels.encode(channel: 0, bytes)) }
                            if fin { tunnel.close() }
                        case .rstStream(let id, _):
                            connections.tunnels.withLock { $0.removeValue(forKey: id) }?.reset(
                                reason: "kubectl reset the stream")
                        case .ping(let id):
                            try await send(.ping(id))
                        case .goAway:
                            break reading
                        default:
                            break
                        }
                    }
                }
                for tunnel in connections.tunnels.withLock({ Array($0.values) }) {
                    tunnel.reset(reason: "kubectl left")
                }
                group.cancelAll()
            }
        }
    }

    /// The Python client's port-forward (`v4.channel.k8s.io`, ports in the query): port `i` is data channel `2i` and
    /// error channel `2i+1`, each announced by a first message carrying the port (little-endian). One tunnel stream
    /// per port for the whole session; the WebSocket closes once every port's stream has ended.
    public static func runChannels(
        _ frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, ports: [UInt16],
        open: @escaping @Sendable (UInt16) throws -> TunnelStream, logger: Logger
    ) async throws {
        try await WebSocketSession.run(frames, client: false, logger: logger) { inbound, outbound, _ in
            @Sendable func send(_ channel: UInt8, _ payload: some Sequence<UInt8>) async throws {
                var message = ByteBuffer()
                message.writeInteger(channel)
                message.writeBytes(Array(payload))
                try await outbound.write(.binary(message))
            }
            var tunnels: [TunnelStream?] = []
            for (index, port) in ports.enumerated() {
                let announce = [UInt8(truncatingIfNeeded: port), UInt8(port >> 8)]
                try await send(UInt8(2 * index), announce)
                try await send(UInt8(2 * index + 1), announce)
                do {
                    tunnels.append(try open(port))
                } catch {
                    tunnels.append(nil)
                    try await send(UInt8(2 * index + 1), Array("\(error)".utf8))
                }
            }
            let opened = tunnels
            try await withThrowingTaskGroup { group in
                // WebSocket → pods: data channels only.
                group.addTask {
                    for try await message in inbound.messages(maxSize: TunnelWebSocket.maxMessage) {
                        guard case .binary(let buffer) = message,
                            let channel = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
                            channel % 2 == 0, Int(channel / 2) < opened.count, let tunnel = opened[Int(channel / 2)]
                        else { continue }
                        try? await tunnel.write(StreamChannels.encode(channel: 0, buffer.readableBytesView.dropFirst()))
                    }
                    for tunnel in opened { tunnel?.close() }
                }
                // Pods → WebSocket, one task per port; the session ends when all have.
                try await withThrowingDiscardingTaskGroup { ports in
                    for (index, tunnel) in opened.enumerated() {
                        guard let tunnel else { continue }
                        ports.addTask {
                            var decoder = StreamChannels.Decoder()
                            do {
                                for try await chunk in tunnel {
                                    for record in try decoder.feed(chunk) {
                                        try await send(UInt8(2 * index) + (record.channel == 1 ? 1 : 0), record.payload)
                                    }
                                }
                            } catch {
                                logger.debug("port-forward stream ended", metadata: ["error": "\(error)"])
                            }
                            tunnel.close()
                        }
                    }
                }
                group.cancelAll()
            }
        }
    }
}
