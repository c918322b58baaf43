import Logging
import NIOCore
import NIOPosix
import SkiffDNS
import Synchronization

/// Sends the queries the cluster zone does not own to the node's upstream resolvers, over one UDP socket: each query
/// gets an id of its own (so clients' ids never collide upstream), an answer is taken only from the server it was
/// sent to, and a query unanswered within `timeout` goes to the next resolver, twice round the list at most; then
/// its completion gets nil (the server answers SERVFAIL).
final class UpstreamForwarder: Sendable {
    struct Pending {
        var query: DNSMessage
        var upstream: Int
        var attempt: Int
        var timeout: Scheduled<Void>?
        var completion: @Sendable (DNSMessage?) -> Void
    }

    /// The queries in flight by the id they were sent with.
    final class InFlight: Sendable {
        let table = Mutex<[UInt16: Pending]>([:])
        let received = Mutex<(@Sendable ([UInt8], SocketAddress) -> Void)?>(nil)
    }

    let channel: any Channel
    let upstreams: [SocketAddress]
    let timeout: TimeAmount
    let inFlight: InFlight
    let logger: Logger

    private init(
        channel: any Channel, upstreams: [SocketAddress], timeout: TimeAmount, inFlight: InFlight, logger: Logger
    ) {
        self.channel = channel
        self.upstreams = upstreams
        self.timeout = timeout
        self.inFlight = inFlight
        self.logger = logger
    }

    /// Binds the forwarder's socket (an ephemeral port on every address).
    static func start(
        group: any EventLoopGroup, upstreams: [SocketAddress], timeout: TimeAmount, logger: Logger
    ) async throws -> UpstreamForwarder {
        let inFlight = InFlight()
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReceiveHandler(inFlight: inFlight))
                }
            }
            .bind(host: "0.0.0.0", port: 0).get()
        let forwarder = UpstreamForwarder(
            channel: channel, upstreams: upstreams, timeout: timeout, inFlight: inFlight, logger: logger)
        inFlight.received.withLock { $0 = { [weak forwarder] in forwarder?.received($0, from: $1) } }
        return forwarder
    }

    func close() async {
        try? await channel.close()
        let abandoned = inFlight.table.withLock { table in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for pending in abandoned {
            pending.timeout?.cancel()
            pending.completion(nil)
        }
    }

    /// Resolves `query` upstream; `completion` gets the answer (with the id it was sent with) or nil.
    func resolve(_ query: DNSMessage, completion: @escaping @Sendable (DNSMessage?) -> Void) {
        guard !upstreams.isEmpty else {
            completion(nil)
            return
        }
        send(Pending(query: query, upstream: 0, attempt: 0, timeout: nil, completion: completion))
    }

    /// Resolves `query` over TCP with the first upstream resolver (for answers too large for UDP: a TCP client's
    /// query whose UDP answer came back truncated); `completion` gets the answer or nil.
    func resolveOverTCP(_ query: DNSMessage, completion: @escaping @Sendable (DNSMessage?) -> Void) {
        guard let upstream = upstreams.first else {
            completion(nil)
            return
        }
        let once = OnceCompletion(completion)
        let timeout = TimeAmount.nanoseconds(self.timeout.nanoseconds * 2)
        ClientBootstrap(group: channel.eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSStreamFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(StreamAnswerHandler(once: once))
                }
            }
            .connect(to: upstream)
            .whenComplete { result in
                guard case .success(let connection) = result else {
                    once.complete(nil)
                    return
                }
                let bytes = query.serialized()
                var framed = connection.allocator.buffer(capacity: bytes.count + 2)
                framed.writeInteger(UInt16(bytes.count))
                framed.writeBytes(bytes)
                connection.writeAndFlush(framed, promise: nil)
                connection.eventLoop.scheduleTask(in: timeout) {
                    once.complete(nil)
                    connection.close(promise: nil)
                }
            }
    }

    /// Calls its completion once, whichever of answer, close or timeout comes first.
    final class OnceCompletion: Sendable {
        private let completion: Mutex<(@Sendable (DNSMessage?) -> Void)?>

        init(_ completion: @escaping @Sendable (DNSMessage?) -> Void) { self.completion = Mutex(completion) }

        func complete(_ answer: DNSMessage?) {
            let completion = self.completion.withLock { stored in
                defer { stored = nil }
                return stored
            }
            completion?(answer)
        }
    }

    /// Takes the first framed answer of an upstream TCP connection, then closes it.
    final class StreamAnswerHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let once: OnceCompletion

        init(once: OnceCompletion) { self.once = once }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(Self.unwrapInboundIn(data).readableBytesView)
            once.complete(try? DNSMessage(parsing: bytes))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { once.complete(nil) }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    private func send(_ pending: Pending) {
        var pending = pending
        let id = inFlight.table.withLock { table -> UInt16 in
            var id = UInt16.random(in: .min ... .max)
            while table[id] != nil { id = UInt16.random(in: .min ... .max) }
            table[id] = pending
            return id
        }
        var outgoing = pending.query
        outgoing.id = id
        let timeout = channel.eventLoop.scheduleTask(in: self.timeout) { [weak self] in
            guard let self else { return }
            self.expired(id)
        }
        pending.timeout = timeout
        inFlight.table.withLock { table in
            if table[id] != nil { table[id] = pending }
        }
        let envelope = AddressedEnvelope(
            remoteAddress: upstreams[pending.upstream], data: channel.allocator.buffer(bytes: outgoing.serialized()))
        channel.writeAndFlush(envelope, promise: nil)
    }

    private func expired(_ id: UInt16) {
        guard let pending = inFlight.table.withLock({ $0.removeValue(forKey: id) }) else { return }
        let attempt = pending.attempt + 1
        guard attempt < upstreams.count * 2 else {
            logger.debug(
                "upstream resolvers did not answer",
                metadata: ["question": "\(pending.query.questions.first.map { "\($0)" } ?? "")"])
            pending.completion(nil)
            return
        }
        send(
            Pending(
                query: pending.query, upstream: attempt % upstreams.count, attempt: attempt, timeout: nil,
                completion: pending.completion))
    }

    /// An answer from upstream: completes its query if it came from where the query went and matches it.
    func received(_ bytes: [UInt8], from address: SocketAddress) {
        guard let answer = try? DNSMessage(parsing: bytes), answer.isResponse else { return }
        let pending = inFlight.table.withLock { table -> Pending? in
            guard let pending = table[answer.id], upstreams[pending.upstream] == address,
                answer.questions == pending.query.questions
            else { return nil }
            table[answer.id] = nil
            return pending
        }
        guard let pending else { return }
        pending.timeout?.cancel()
        pending.completion(answer)
    }

    /// Hands each datagram to the forwarder.
    final class ReceiveHandler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>

        let inFlight: InFlight

        init(inFlight: InFlight) { self.inFlight = inFlight }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = Self.unwrapInboundIn(data)
            let received = inFlight.received.withLock { $0 }
            received?(Array(envelope.data.readableBytesView), envelope.remoteAddress)
        }
    }
}
