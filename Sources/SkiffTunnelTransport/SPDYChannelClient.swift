import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SkiffSPDY
import SkiffTunnel
import Synchronization

/// An exec or attach session on the container runtime's streaming server over SPDY/3.1 (`v4.channel.k8s.io`), the
/// protocol kubelet's own clients use: unlike the WebSocket form, it can close stdin (a FIN on the stdin stream), so
/// `echo hi | kubectl exec -i POD -- cat` ends. The channels are relayed with a tunnel stream as `StreamChannels`
/// records: stdin (0) and resize (4) go to the runtime, stdout (1), stderr (2) and the closing Status (3) come back;
/// kubectl's v5 close signal (255) becomes the stdin stream's FIN.
///
/// As client-go does, one SPDY stream is created per channel (error first, then stdin, stdout, stderr, resize), each
/// named by its `streamtype` header, and nothing is sent on a stream before the runtime accepted it (SYN_REPLY):
/// the runtime drops data on a stream it has not replied to.
public enum SPDYChannelClient {
    static let streamTypes: [(channel: UInt8, name: String)] = [
        (3, "error"), (0, "stdin"), (1, "stdout"), (2, "stderr"), (4, "resize"),
    ]

    /// Which channels a session opens: the error channel always, the others as asked (no stderr with a terminal).
    public static func channels(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) -> Set<UInt8> {
        var channels: Set<UInt8> = [3]
        if stdin { channels.insert(0) }
        if stdout { channels.insert(1) }
        if stderr && !tty { channels.insert(2) }
        if tty { channels.insert(4) }
        return channels
    }

    enum Upgrade: Sendable {
        case spdy(NIOAsyncChannel<ByteBuffer, ByteBuffer>)
        case refused
    }

    struct Upgrader: NIOTypedHTTPClientProtocolUpgrader {
        typealias UpgradeResult = Upgrade
        let supportedProtocol = "SPDY/3.1"
        let requiredUpgradeHeaders: [String] = []

        func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
            upgradeRequestHeaders.replaceOrAdd(
                name: "X-Stream-Protocol-Version", value: "v4.channel.k8s.io")
        }

        func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool { true }

        func upgrade(channel: any Channel, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<
            Upgrade
        > {
            channel.eventLoop.makeCompletedFuture {
                .spdy(try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel))
            }
        }
    }

    /// The session's state, shared by its two directions.
    final class Shared: Sendable {
        let state = Mutex(State())
    }

    struct State {
        /// Streams the runtime accepted.
        var replied: Set<UInt32> = []
        /// Frames waiting for their stream's SYN_REPLY.
        var held: [UInt32: [SPDYFrame]] = [:]
        /// Streams the runtime finished (FIN or reset).
        var finished: Set<UInt32> = []
    }

    /// Runs the session at `host:port` `path` until the runtime ends it (its error, stdout and stderr streams are
    /// finished) or the tunnel stream ends; the caller closes the stream afterwards.
    public static func relay(
        host: String, port: Int, path: String, channels: Set<UInt8>, stream: TunnelStream,
        logger: Logger
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        // An empty body said outright: without a length NIO would send the POST chunked, and its closing chunk would
        // reach the runtime after the switch, as the first bytes of SPDY.
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: head, upgraders: [Upgrader()],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.refused)
                            }))
                    configuration.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration)
                }
            }
        guard case .spdy(let connection) = try await upgrade.get() else {
            throw SPDYError("the runtime's streaming server refused the SPDY upgrade at \(path)")
        }
        try await connection.executeThenClose { inbound, outbound in
            try await session(
                inbound: inbound, outbound: outbound, channels: channels, stream: stream, logger: logger)
        }
    }

    static func session(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channels: Set<UInt8>, stream: TunnelStream, logger: Logger
    ) async throws {
        let framer = try SPDYFramer()
        var ids: [UInt8: UInt32] = [:]
        var opening: [UInt8] = []
        var next: UInt32 = 1
        for (channel, name) in streamTypes where channels.contains(channel) {
            ids[channel] = next
            opening += framer.encode(.synStream(stream: next, headers: [SPDYHeader("streamtype", name)]))
            next += 2
        }
        let streamOf = ids
        let channelOf = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        /// The streams whose end ends the session: what the runtime writes to.
        let readable = Set(ids.filter { [1, 2, 3].contains($0.key) }.values)
        try await outbound.write(ByteBuffer(bytes: opening))
        let shared = Shared()

        @Sendable func send(_ frame: SPDYFrame) async throws {
            guard let bytes = SPDYFramer.encode(withoutHeaders: frame) else { return }
            try await outbound.write(ByteBuffer(bytes: bytes))
        }
        /// Sends `frame` now if its stream was accepted, else holds it until the reply.
        @Sendable func sendWhenAccepted(_ frame: SPDYFrame, on id: UInt32) async throws {
            let now = shared.state.withLock { state -> Bool in
                if state.replied.contains(id) { return true }
                state.held[id, default: []].append(frame)
                return false
            }
            if now { try await send(frame) }
        }

        try await withThrowingTaskGroup { group in
            // Tunnel → runtime: stdin, resize, and the close signal as stdin's FIN; until the server closes its side
            // (after this side closed, below) or the runtime connection is gone.
            group.addTask {
                var decoder = StreamChannels.Decoder()
                do {
                    for try await chunk in stream {
                        for record in try decoder.feed(chunk) {
                            switch record.channel {
                            case 255 where record.payload.first == 0:
                                if let id = streamOf[0] {
                                    try await sendWhenAccepted(.data(stream: id, fin: true, []), on: id)
                                }
                            case let channel:
                                guard let id = streamOf[channel], channel == 0 || channel == 4 else { continue }
                                try await sendWhenAccepted(.data(stream: id, record.payload), on: id)
                            }
                        }
                    }
                } catch {
                    logger.debug("runtime session input ended", metadata: ["error": "\(error)"])
                }
            }
            // Runtime → tunnel, until the streams it writes to are finished.
            var status: [UInt8] = []
            reading: for try await buffer in inbound {
                for frame in try framer.feed(buffer.readableBytesView) {
                    switch frame {
                    case .synReply(let id, _, _):
                        let held = shared.state.withLock { state -> [SPDYFrame] in
                            state.replied.insert(id)
                            return state.held.removeValue(forKey: id) ?? []
                        }
                        for frame in held { try await send(frame) }
                    case .data(let id, let fin, let bytes):
                        if let channel = channelOf[id], !bytes.isEmpty {
                            if channel == 3 {
                                status += bytes  // one Status, sent whole when its stream ends
                            } else {
                                try await stream.write(StreamChannels.encode(channel: channel, bytes))
                            }
                        }
                        if fin { shared.state.withLock { _ = $0.finished.insert(id) } }
                    case .rstStream(let id, _):
                        shared.state.withLock { _ = $0.finished.insert(id) }
                    case .ping(let id):
                        try await send(.ping(id))
                    case .goAway:
                        break reading
                    default:
                        break
                    }
                }
                if shared.state.withLock({ readable.isSubset(of: $0.finished) }) { break }
            }
            if !status.isEmpty { try await stream.write(StreamChannels.encode(channel: 3, status)) }
            // This side is done; the server closes its side in turn, which ends the input task. Cancelling that task
            // instead would reset the stream (a reader that goes away), and the server would take the session for
            // failed.
            stream.close()
            try await group.waitForAll()
        }
        logger.trace("runtime session ended", metadata: ["channels": "\(channels.sorted())"])
    }
}
