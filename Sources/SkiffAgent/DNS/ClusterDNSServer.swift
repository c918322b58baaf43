import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SkiffClient
import SkiffDNS
import SkiffModel
import Synchronization

/// The node's cluster DNS, built in (no CoreDNS image): answers on the cluster DNS address, over UDP and TCP, from a
/// snapshot of the Services and EndpointSlices the agent follows (through its cache, so it keeps answering while the
/// server is unreachable), and forwards every other name to the node's resolvers with a small answer cache.
///
/// The address is put on the node's loopback interface (as NodeLocal DNSCache puts its own on a dummy interface):
/// pods reach it through their default route to the node, and no service rule is involved. Answers from the zone
/// are computed on the event loop that read the query — an in-memory lookup of microseconds, no I/O — and forwarded
/// queries complete from the forwarder's socket without any thread waiting.
public final class ClusterDNSServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var address: String
        public var port: Int
        public var clusterDomain: String
        /// Where the upstream resolvers are read from (`--resolv-conf`); loopback resolvers are fine, since the agent
        /// itself forwards.
        public var resolvConf: String
        /// Upstream resolvers to use instead of `resolvConf`'s (tests).
        public var upstreams: [String]?
        /// Put `address` on the loopback interface first (off in tests, which listen on 127.0.0.1).
        public var assignAddress: Bool
        public var upstreamTimeout: Duration

        public init(
            address: String, port: Int = 53, clusterDomain: String = "cluster.local",
            resolvConf: String = "/etc/resolv.conf", upstreams: [String]? = nil, assignAddress: Bool = true,
            upstreamTimeout: Duration = .seconds(2)
        ) {
            self.address = address
            self.port = port
            self.clusterDomain = clusterDomain
            self.resolvConf = resolvConf
            self.upstreams = upstreams
            self.assignAddress = assignAddress
            self.upstreamTimeout = upstreamTimeout
        }
    }

    let watch: ServiceWatch
    let host: any HostNetwork
    let configuration: Configuration
    let logger: Logger
    let answering: Answering
    private let changes: AsyncStream<Void>
    private let bound = Mutex<Int?>(nil)
    /// Opens once the server listens.
    public let listening = Latch()

    public init(watch: ServiceWatch, host: any HostNetwork, configuration: Configuration, logger: Logger) {
        self.watch = watch
        self.host = host
        self.configuration = configuration
        self.logger = logger
        self.answering = Answering(clusterDomain: configuration.clusterDomain, logger: logger)
        self.changes = watch.changes()
    }

    /// The UDP port the server listens on (the configured one, or the one picked for port 0).
    public var port: Int? { bound.withLock { $0 } }

    public func run() async throws {
        if configuration.assignAddress {
            do { try await host.ensureLocalAddress(configuration.address) } catch {
                logger.error(
                    "cannot put the cluster DNS address on the node: pods get no cluster DNS",
                    metadata: ["address": "\(configuration.address)", "error": "\(error)"])
                try? await gracefulShutdown()
                return
            }
        }
        let upstreams = Self.upstreams(configuration, logger: logger)
        let group = MultiThreadedEventLoopGroup.singleton
        let forwarder: UpstreamForwarder
        do {
            forwarder = try await UpstreamForwarder.start(
                group: group, upstreams: upstreams, timeout: TimeAmount(configuration.upstreamTimeout),
                logger: logger)
        } catch {
            logger.error(
                "cluster DNS cannot open its upstream socket: pods get no cluster DNS", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        answering.forwarder.withLock { $0 = forwarder }
        let answering = answering
        var udp: [any Channel] = []
        let tcp: any Channel
        do {
            // One UDP socket per event loop on the same address (SO_REUSEPORT: the kernel spreads the queries), each
            // reading up to 32 datagrams per system call (recvmmsg); the replies of a read burst leave together.
            var port = configuration.port
            for loop in group.makeIterator() {
                let channel = try await DatagramBootstrap(group: loop)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(
                        ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT)), value: 1
                    )
                    .channelOption(.datagramVectorReadMessageCount, value: 32)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(DNSDatagramHandler(answering: answering))
                        }
                    }
                    .bind(host: configuration.address, port: port).get()
                udp.append(channel)
                port = channel.localAddress?.port ?? port
            }
            tcp = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSStreamFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(DNSStreamHandler(answering: answering))
                    }
                }
                .bind(host: configuration.address, port: port).get()
            bound.withLock { $0 = port }
        } catch {
            for channel in udp { try? await channel.close() }
            await forwarder.close()
            logger.error(
                "cluster DNS cannot listen: pods get no cluster DNS",
                metadata: ["address": "\(configuration.address):\(configuration.port)", "error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        logger.info(
            "cluster DNS listening",
            metadata: [
                "address": "\(configuration.address):\(port ?? configuration.port)",
                "upstreams": "\(upstreams.map { "\($0)" })",
            ])
        listening.open()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in self.changes { self.refresh() }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        for channel in udp { try? await channel.close() }
        try? await tcp.close()
        await forwarder.close()
    }

    /// Rebuilds the zone from the current Services and EndpointSlices.
    func refresh() {
        let (services, slices) = watch.objects
        let snapshot = ClusterDNSSnapshot(
            services: services, endpointSlices: slices, clusterDomain: configuration.clusterDomain)
        answering.resolver.withLock { $0.snapshot = snapshot }
        logger.trace("cluster DNS zone rebuilt", metadata: ["names": "\(snapshot.nameCount)"])
    }

    /// The upstream resolvers: the configured ones, or `nameserver` lines of the resolv.conf (IPv4 and IPv6,
    /// loopback included, the cluster DNS address itself excluded).
    static func upstreams(_ configuration: Configuration, logger: Logger) -> [SocketAddress] {
        let listed =
            configuration.upstreams
            ?? ResolvConfNameservers.parse(
                (try? String(contentsOfFile: configuration.resolvConf, encoding: .utf8)) ?? "")
        let addresses = listed.filter { $0 != configuration.address }.compactMap { entry -> SocketAddress? in
            // `a.b.c.d:port` (tests run their upstream on a free port), else an address on port 53.
            let parts = entry.split(separator: ":")
            if parts.count == 2, let port = Int(parts[1]) {
                return try? SocketAddress(ipAddress: String(parts[0]), port: port)
            }
            return try? SocketAddress(ipAddress: entry, port: 53)
        }
        if addresses.isEmpty {
            logger.warning(
                "no upstream resolvers: names outside the cluster get SERVFAIL",
                metadata: ["resolv-conf": "\(configuration.resolvConf)"])
        }
        return addresses
    }

    /// What the socket handlers share: the resolver over the current zone, the answer cache and the forwarder.
    final class Answering: Sendable {
        let resolver: Mutex<ClusterDNSResolver>
        let cache = Mutex(DNSAnswerCache())
        let forwarder = Mutex<UpstreamForwarder?>(nil)
        let logger: Logger

        init(clusterDomain: String, logger: Logger) {
            self.resolver = Mutex(
                ClusterDNSResolver(
                    snapshot: ClusterDNSSnapshot(services: [], endpointSlices: [], clusterDomain: clusterDomain)))
            self.logger = logger
        }

        /// Answers one packet: `reply` is called at once for answers from the zone or the cache (on the caller's
        /// thread), later for forwarded ones, never for packets that deserve no answer.
        func handle(
            _ packet: [UInt8], over transport: ClusterDNSResolver.Transport,
            reply: @escaping @Sendable ([UInt8]) -> Void
        ) {
            let resolver = resolver.withLock { $0 }
            switch resolver.respond(to: packet, over: transport) {
            case .reply(let bytes):
                reply(bytes)
            case .drop:
                return
            case .forward(let query):
                if let cached = cache.withLock({ $0.answer(to: query, at: .now) }) {
                    reply(resolver.reply(relaying: cached, to: query, over: transport))
                    return
                }
                let relay: @Sendable (DNSMessage?) -> Void = { answer in
                    guard let answer else {
                        reply(resolver.serverFailure(for: query))
                        return
                    }
                    self.cache.withLock { $0.insert(answer, at: .now) }
                    reply(resolver.reply(relaying: answer, to: query, over: transport))
                }
                forward(query) { answer in
                    // Too large for UDP upstream, and the client asked over TCP: ask upstream over TCP too. (A UDP
                    // client gets the truncated answer and asks again over TCP, as resolvers do.)
                    if let answer, answer.isTruncated, transport == .tcp,
                        let forwarder = self.forwarder.withLock({ $0 })
                    {
                        forwarder.resolveOverTCP(query) { full in relay(full ?? answer) }
                    } else {
                        relay(answer)
                    }
                }
            case .chase(let partial, let query, let limit):
                forward(query) { answer in
                    let complete = answer.map { ClusterDNSResolver.complete(partial, with: $0) } ?? partial
                    reply(complete.serialized(maxSize: limit))
                }
            }
        }

        private func forward(_ query: DNSMessage, completion: @escaping @Sendable (DNSMessage?) -> Void) {
            guard let forwarder = forwarder.withLock({ $0 }) else {
                completion(nil)
                return
            }
            forwarder.resolve(query, completion: completion)
        }
    }
}

/// The nameservers of a resolv.conf, in order.
enum ResolvConfNameservers {
    static func parse(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 1, fields[0] == "nameserver" else { return nil }
            return String(fields[1])
        }
    }
}
