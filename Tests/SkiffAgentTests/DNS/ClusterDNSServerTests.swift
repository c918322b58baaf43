import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SkiffDNS
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAgent

/// The cluster DNS server over real sockets on loopback: zone answers over UDP and TCP, forwarding to an upstream
/// the test runs, its cache, SERVFAIL when upstream is gone, and garbage that does not stop it.
@Suite struct ClusterDNSServerTests {
    static let logger = Logger(label: "dns-test")

    /// An upstream resolver on 127.0.0.1 that answers every A question with 203.0.113.7 and counts the queries.
    final class Upstream: Sendable {
        let channel: any Channel

        init() async throws {
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Handler())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var address: String { "127.0.0.1:\(channel.localAddress?.port ?? 0)" }

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = AddressedEnvelope<ByteBuffer>
            typealias OutboundOut = AddressedEnvelope<ByteBuffer>

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let envelope = Self.unwrapInboundIn(data)
                guard let query = try? DNSMessage(parsing: Array(envelope.data.readableBytesView)) else { return }
                var reply = query.reply()
                reply.recursionAvailable = true
                reply.answers = [
                    DNSResourceRecord(
                        name: query.questions[0].name, ttl: 60, data: .a(IPv4Address("203.0.113.7")!))
                ]
                Upstream.count.withLock { $0 += 1 }
                context.writeAndFlush(
                    Self.wrapOutboundOut(
                        AddressedEnvelope(
                            remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply.serialized()))),
                    promise: nil)
            }
        }

        /// Queries answered, by every upstream of the suite.
        static let count = Mutex(0)
    }

    /// A UDP or TCP client for one query at a time.
    static func ask(_ name: String, _ type: DNSRecordType = .a, port: Int, tcp: Bool = false) async throws -> DNSMessage
    {
        let query = DNSMessage.query(
            id: UInt16.random(in: 1...UInt16.max), DNSQuestion(name: try DNSName(name), type: type))
        let bytes =
            try await
            (tcp ? Self.tcpExchange(query.serialized(), port: port) : Self.udpExchange(query.serialized(), port: port))
        let answer = try DNSMessage(parsing: bytes)
        #expect(answer.id == query.id)
        return answer
    }

    /// One UDP exchange, sent again every 2 s until answered (a datagram may be dropped, as resolvers know).
    static func udpExchange(_ packet: [UInt8], port: Int) async throws -> [UInt8] {
        for _ in 0..<10 {
            let answer = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { try await Self.udpExchangeOnce(packet, port: port) }
                group.addTask {
                    try await Task.sleep(for: .seconds(2))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let answer { return answer }
        }
        throw CancellationError()
    }

    static func udpExchangeOnce(_ packet: [UInt8], port: Int) async throws -> [UInt8] {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(
                AddressedEnvelope(
                    remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: port),
                    data: ByteBuffer(bytes: packet)))
            for try await envelope in inbound { return Array(envelope.data.readableBytesView) }
            throw CancellationError()
        }
    }

    static func tcpExchange(_ packet: [UInt8], port: Int) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var framed = ByteBuffer()
            framed.writeInteger(UInt16(packet.count))
            framed.writeBytes(packet)
            try await outbound.write(framed)
            var received = ByteBuffer()
            for try await chunk in inbound {
                received.writeImmutableBuffer(chunk)
                if let length = received.getInteger(at: 0, as: UInt16.self), received.readableBytes >= 2 + Int(length) {
                    return Array(received.readableBytesView.dropFirst(2).prefix(Int(length)))
                }
            }
            throw CancellationError()
        }
    }

    /// Runs a server on 127.0.0.1 (free port) over a fake API holding `web` (ClusterIP) and `db` (headless).
    static func withServer(
        upstreams: [String], _ body: (FakeClusterAPI, Int) async throws -> Void
    ) async throws {
        let api = FakeClusterAPI()
        api.put(
            "services",
            [
                "metadata": ["name": "web", "namespace": "default"],
                "spec": ["clusterIP": "10.43.7.7", "ports": [["name": "http", "port": 8080, "protocol": "TCP"]]],
            ])
        let watch = ServiceWatch(api: api, logger: logger)
        let server = ClusterDNSServer(
            watch: watch, host: IPCommandHostNetwork(logger: logger),
            configuration: .init(
                address: "127.0.0.1", port: 0, upstreams: upstreams, assignAddress: false,
                upstreamTimeout: .milliseconds(300)),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watch.run() }
            group.addTask { try await server.run() }
            await server.listening.wait()
            let port = try #require(server.port)
            // The zone is built once both informers listed: wait for web to resolve.
            for _ in 0..<200 {
                if (try? await ask("web.default.svc.cluster.local", port: port))?.answers.isEmpty == false { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await body(api, port)
            group.cancelAll()
        }
    }

    @Test func answersClusterNamesOverUDPAndTCP() async throws {
        try await Self.withServer(upstreams: []) { api, port in
            for tcp in [false, true] {
                let answer = try await Self.ask("web.default.svc.cluster.local", port: port, tcp: tcp)
                #expect(answer.responseCode == .noError)
                #expect(answer.isAuthoritative)
                #expect(answer.answers.map(\.data) == [.a(IPv4Address("10.43.7.7")!)])
            }
            let missing = try await Self.ask("nope.default.svc.cluster.local", port: port)
            #expect(missing.responseCode == .nameError)
            // A Service created later resolves once its event arrived.
            api.put(
                "services",
                [
                    "metadata": ["name": "late", "namespace": "default"],
                    "spec": ["clusterIP": "10.43.7.8", "ports": [["port": 80, "protocol": "TCP"]]],
                ])
            var late: DNSMessage?
            for _ in 0..<200 {
                late = try await Self.ask("late.default.svc.cluster.local", port: port)
                if late?.responseCode == .noError { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(late?.answers.map(\.data) == [.a(IPv4Address("10.43.7.8")!)])
        }
    }

    @Test func forwardsOtherNamesAndCachesTheAnswer() async throws {
        let upstream = try await Upstream()
        let before = Upstream.count.withLock { $0 }
        try await Self.withServer(upstreams: [upstream.address]) { _, port in
            let first = try await Self.ask("outside.example.test", port: port)
            #expect(first.responseCode == .noError)
            #expect(first.answers.map(\.data) == [.a(IPv4Address("203.0.113.7")!)])
            #expect(Upstream.count.withLock { $0 } == before + 1)
            // Asked again (other case, over TCP): answered from the cache, upstream not asked.
            let second = try await Self.ask("OUTSIDE.example.test", port: port, tcp: true)
            #expect(second.answers.map(\.data) == [.a(IPv4Address("203.0.113.7")!)])
            #expect(Upstream.count.withLock { $0 } == before + 1)
        }
        try await upstream.channel.close()
    }

    /// An upstream whose UDP answers are truncated (TC, no records) and whose TCP answers are whole.
    final class TruncatingUpstream: Sendable {
        let udp: any Channel
        let tcp: any Channel

        init() async throws {
            udp = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPHandler())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            tcp = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSStreamFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(TCPHandler())
                    }
                }
                .bind(host: "127.0.0.1", port: udp.localAddress?.port ?? 0).get()
        }

        var address: String { "127.0.0.1:\(udp.localAddress?.port ?? 0)" }

        final class UDPHandler: ChannelInboundHandler {
            typealias InboundIn = AddressedEnvelope<ByteBuffer>
            typealias OutboundOut = AddressedEnvelope<ByteBuffer>

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let envelope = Self.unwrapInboundIn(data)
                guard let query = try? DNSMessage(parsing: Array(envelope.data.readableBytesView)) else { return }
                var reply = query.reply()
                reply.isTruncated = true
                context.writeAndFlush(
                    Self.wrapOutboundOut(
                        AddressedEnvelope(
                            remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply.serialized()))),
                    promise: nil)
            }
        }

        final class TCPHandler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                guard let query = try? DNSMessage(parsing: Array(Self.unwrapInboundIn(data).readableBytesView)) else {
                    return
                }
                var reply = query.reply()
                reply.answers = [
                    DNSResourceRecord(
                        name: query.questions[0].name, ttl: 60, data: .a(IPv4Address("203.0.113.8")!))
                ]
                let bytes = reply.serialized()
                var framed = ByteBuffer()
                framed.writeInteger(UInt16(bytes.count))
                framed.writeBytes(bytes)
                context.writeAndFlush(Self.wrapOutboundOut(framed), promise: nil)
            }
        }
    }

    @Test func asksUpstreamOverTCPWhenItsUDPAnswerIsTruncated() async throws {
        let upstream = try await TruncatingUpstream()
        try await Self.withServer(upstreams: [upstream.address]) { _, port in
            let overTCP = try await Self.ask("big.example.test", port: port, tcp: true)
            #expect(overTCP.answers.map(\.data) == [.a(IPv4Address("203.0.113.8")!)])
            #expect(!overTCP.isTruncated)
            let overUDP = try await Self.ask("big2.example.test", port: port)
            #expect(overUDP.isTruncated)
            #expect(overUDP.answers.isEmpty)
        }
        try await upstream.udp.close()
        try await upstream.tcp.close()
    }

    @Test func answersServerFailureWhenUpstreamIsSilent() async throws {
        // A bound socket that never answers.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        try await Self.withServer(upstreams: ["127.0.0.1:\(silent.localAddress?.port ?? 0)"]) { _, port in
            let answer = try await Self.ask("silent.example.test", port: port)
            #expect(answer.responseCode == .serverFailure)
        }
        try await silent.close()
    }

    @Test func keepsAnsweringAfterGarbage() async throws {
        try await Self.withServer(upstreams: []) { _, port in
            var random = SystemRandomNumberGenerator()
            let valid = DNSMessage.query(
                id: 7, DNSQuestion(name: try DNSName("web.default.svc.cluster.local"), type: .a)
            )
            .serialized()
            let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            for index in 0..<2_000 {
                let packet: [UInt8] =
                    index % 2 == 0
                    ? (0..<Int.random(in: 0...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random)
                    }
                    : Array(valid.prefix(Int.random(in: 0..<valid.count, using: &random)))
                try await sender.writeAndFlush(
                    AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: packet)))
            }
            try await sender.close()
            let answer = try await Self.ask("web.default.svc.cluster.local", port: port)
            #expect(answer.answers.map(\.data) == [.a(IPv4Address("10.43.7.7")!)])
        }
    }
}
