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
    /// What a session opens on the runtime and how its channels map to SPDY streams.
    public struct Plan: Sendable {
        /// `X-Stream-Protocol-Version` of the upgrade.
        var protocolVersion: String
        /// The streams to create, in order, with the channel each carries and its headers.
        var streams: [(channel: UInt8, headers: [SPDYHeader])]
        /// Channels whose records from the tunnel go to the runtime.
        var input: Set<UInt8>
        /// A channel whose record `[c]` closes channel `c`'s stream (kubectl's v5 close signal).
        var closeSignal: UInt8?
        /// A channel whose stream gets a FIN when the tunnel's input ends (port-forward's data).
        var finOnInputEnd: UInt8?
        /// A channel whose data is collected and sent as one record when its stream ends (exec's Status).
        var wholeChannel: UInt8?
        /// The channels the runtime writes to: the session is over once they are all finished.
        var output: Set<UInt8>

        /// exec and attach (`v4.channel.k8s.io`): error first, then stdin, stdout, stderr (not with a terminal) and
        /// resize (with one), as client-go creates them.
        public static func session(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) -> Plan {
            var streams: [(channel: UInt8, headers: [SPDYHeader])] = [(3, [SPDYHeader("streamtype", "error")])]
            if stdin { streams.append((0, [SPDYHeader("streamtype", "stdin")])) }
            if stdout { streams.append((1, [SPDYHeader("streamtype", "stdout")])) }
            if stderr && !tty { streams.append((2, [SPDYHeader("streamtype", "stderr")])) }
            if tty { streams.append((4, [SPDYHeader("streamtype", "resize")])) }
            return Plan(
                protocolVersion: "v4.channel.k8s.io", streams: streams, input: [0, 4], closeSignal: 255,
                finOnInputEnd: nil, wholeChannel: 3, output: Set(streams.map(\.channel)).intersection([1, 2, 3]))
        }

        /// port-forward (`portforward.k8s.io`) to one port: an error stream (channel 1) and a data stream (channel 0),
        /// both naming the port and request 0; the tunnel's input ending closes the data stream.
        public static func portForward(port: UInt16) -> Plan {
            let common = [SPDYHeader("port", "\(port)"), SPDYHeader("requestid", "0")]
            return Plan(
                protocolVersion: "portforward.k8s.io",
                streams: [
                    (1, [SPDYHeader("streamtype", "error")] + common), (0, [SPDYHeader("streamtype", "data")] + common),
                ],
                input: [0], closeSignal: nil, finOnInputEnd: 0, wholeChannel: nil, output: [0, 1])
        }
    }

    enum Upgrade: Sendable {
        case spdy(NIOAsyncChannel<ByteBuffer, ByteBuffer>)
        case refused
    }

    struct Upgrader: NIOTypedHTTPClientProtocolUpgrader {
        typealias UpgradeResult = Upgrade
        let supportedProtocol = "SPDY/3.1"
        let requiredUpgradeHeaders: [String] = []
        let protocolVersion: String

        func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
            upgradeRequestHeaders.replaceOrAdd(name: "X-Stream-Protocol-Version", value: protocolVersion)
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

    /// Runs the session at `host:port` `path` until the runtime ends it (the streams it writes to are finished);
    /// the caller closes the tunnel stream afterwards.
    public static func relay(
        host: String, port: Int, path: String, plan: Plan, stream: TunnelStream, logger: Logger
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
                            upgradeRequestHead: head, upgraders: [Upgrader(protocolVersion: plan.protocolVersion)],
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
                inbound: inbound, outbound: outbound, plan: plan, stream: stream, logger: logger)
        }
    }

    static func session(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        plan: Plan, stream: TunnelStream, logger: Logger
    ) async throws {
        let framer = try SPDYFramer()
        var ids: [UInt8: UInt32] = [:]
        var opening: [UInt8] = []
        var next: UInt32 = 1
        for (channel, headers) in plan.streams {
            ids[channel] = next
            opening += framer.encode(.synStream(stream: next, headers: headers))
            next += 2
        }
        let streamOf = ids
        let channelOf = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        /// The streams whose end ends the session: what the runtime writes to.
        let readable = Set(ids.filter { plan.output.contains($0.key) }.values)
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
                            if record.channel == plan.closeSignal {
                                if let closed = record.payload.first, let id = streamOf[closed] {
                                    try await sendWhenAccepted(.data(stream: id, fin: true, []), on: id)
                                }
                            } else if plan.input.contains(record.channel), let id = streamOf[record.channel] {
                                try await sendWhenAccepted(.data(stream: id, record.payload), on: id)
                            }
                        }
                    }
                    if let channel = plan.finOnInputEnd, let id = streamOf[channel] {
                        try await sendWhenAccepted(.data(stream: id, fin: true, []), on: id)
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
                        // The held frames go first, in order: the stream counts as accepted only once none is left,
                        // so a frame the input side sends meanwhile queues behind them. (Marking it accepted before
                        // they were sent let stdin's FIN overtake its data: `kubectl cp` then saw a short tar.)
                        while true {
                            let held = shared.state.withLock { state -> [SPDYFrame] in
                                let frames = state.held.removeValue(forKey: id) ?? []
                                if frames.isEmpty { state.replied.insert(id) }
                                return frames
                            }
                            if held.isEmpty { break }
                            for frame in held { try await send(frame) }
                        }
                    case .data(let id, let fin, let bytes):
                        if let channel = channelOf[id], !bytes.isEmpty {
                            if channel == plan.wholeChannel {
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
            if !status.isEmpty, let channel = plan.wholeChannel {
                try await stream.write(StreamChannels.encode(channel: channel, status))
            }
            // This side is done; the server closes its side in turn, which ends the input task. Cancelling that task
            // instead would reset the stream (a reader that goes away), and the server would take the session for
            // failed.
            stream.close()
            try await group.waitForAll()
        }
        logger.trace("runtime session ended", metadata: ["protocol": "\(plan.protocolVersion)"])
    }
}
