import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SkiffModel
import SkiffPKI
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAPIServer

/// What the server keeps per connection, on a live TLS server: a watch whose client has gone is released at once —
/// its store subscription, its task and its connection — even on a resource where nothing happens (it used to linger
/// until the next event or its timeout); the client certificate's identity holds for the connection.
@Suite(.serialized) struct APIConnectionTests {
    static let logger = Logger(label: "api-connection-test")

    @Test(arguments: [RawWatchClient.Close.tls, .abort])
    func watchesOfDepartedClientsAreReleasedWithoutAnyEvent(_ close: RawWatchClient.Close) async throws {
        try await Self.withServer { port, store in
            let group = MultiThreadedEventLoopGroup.singleton
            var clients: [RawWatchClient] = []
            for _ in 0..<50 {
                clients.append(try await RawWatchClient.open(port: port, caPEM: store.caPEM, group: group))
            }
            for client in clients { try await client.responseStarted() }
            #expect(store.clientWatchers == 50)
            #expect(Self.serverConnections(port: port) == 50)

            for client in clients { try await client.close(close) }
            // Nothing happens on the resource and the watches' timeout is 30–60 minutes: a watch that lingered until
            // its next event or timeout would still be there when the 20 s limit (a hang guard, not a figure) ends.
            let watchers = await Self.poll(within: .seconds(20)) { store.clientWatchers == 0 }
            #expect(watchers, "store watchers left: \(store.clientWatchers)")
            let files = await Self.poll(within: .seconds(20)) { Self.serverConnections(port: port) == 0 }
            #expect(files, "server connections still open: \(Self.serverConnections(port: port))")
        }
    }

    @Test func aWatchOnAKeepAliveConnectionStillEndsAtItsTimeoutWithTheConnectionOpen() async throws {
        try await Self.withServer { port, store in
            let client = try await RawWatchClient.open(
                port: port, caPEM: store.caPEM, group: MultiThreadedEventLoopGroup.singleton, timeoutSeconds: 1)
            try await client.responseStarted()
            #expect(store.clientWatchers == 1)
            let ended = await Self.poll(within: .seconds(20)) { client.received.contains("0\r\n\r\n") }
            #expect(ended, "the chunked body ended")
            #expect(store.clientWatchers == 0)
            #expect(client.channel.isActive, "the connection stays open for the next request")
            try await client.close(.tls)
        }
    }

    @Test func theCertificateIdentityHoldsForTheConnectionAndTokensAreCheckedPerRequest() async throws {
        try await Self.withServer { port, store in
            let group = MultiThreadedEventLoopGroup.singleton
            let admin = try await RawWatchClient.connect(
                port: port, caPEM: store.caPEM, group: group, identity: store.admin)
            for _ in 0..<3 {
                let review = try await admin.get("/api/v1/namespaces/default")
                #expect(review.status == "HTTP/1.1 200 OK", "\(review)")
            }
            // Without a certificate, each request stands on its own credentials, on the same connection.
            let anonymous = try await RawWatchClient.connect(port: port, caPEM: store.caPEM, group: group)
            #expect(try await anonymous.get("/api/v1/namespaces/default").status == "HTTP/1.1 401 Unauthorized")
            #expect(
                try await anonymous.get("/api/v1/namespaces/default", authorization: "Bearer secret").status
                    == "HTTP/1.1 200 OK")
            #expect(
                try await anonymous.get("/api/v1/namespaces/default", authorization: "Bearer wrong").status
                    == "HTTP/1.1 401 Unauthorized")
            try await admin.close(.tls)
            try await anonymous.close(.tls)
        }
    }

    struct Store {
        var memory: MemoryStore
        var caPEM: String
        /// The admin client certificate and key.
        var admin: (certificate: String, key: String)

        /// The store watches clients hold: the server itself holds one per RBAC resource (its RBAC index).
        var clientWatchers: Int { memory.watcherCount - Self.serverWatchers }

        static let serverWatchers = RBACPolicy.Kind.allCases.count
    }

    static func withServer(
        configure: (inout APIServerConfiguration) -> Void = { _ in }, services: [any Service] = [],
        _ body: (Int, Store) async throws -> Void
    ) async throws {
        try await TestAPIServer.run(
            logger: logger,
            configure: { configuration, _ in
                // The clients of these tests speak as an admin with a static bearer token.
                configuration.staticTokens = ["secret": .admin()]
                configure(&configuration)
            }, services: services
        ) { server in
            _ = await poll(within: .seconds(20)) { server.store.watcherCount == Store.serverWatchers }
            try await body(
                server.port,
                Store(
                    memory: server.store, caPEM: server.pki.serverCA.certificatePEM,
                    admin: (server.pki.admin.certificatePEM, server.pki.admin.privateKeyPEM)))
        }
    }

    /// Whether `condition` holds within `limit`, checked every 10 ms.
    static func poll(within limit: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// Open file descriptors of this process that are the server's side of a connection on `port` (other tests
    /// running in parallel open files too, so the process total would not do).
    static func serverConnections(port: Int) -> Int {
        // /proc/net/tcp: "sl local_address rem_address st … inode", addresses as hex IP:port; 0A is LISTEN.
        // Read to the end: proc files report size 0, and a one-shot read stops after the first page.
        guard let file = FileHandle(forReadingAtPath: "/proc/net/tcp"), let data = try? file.readToEnd() else {
            return -1
        }
        try? file.close()
        let table = String(decoding: data, as: UTF8.self)
        let local = String(format: ":%04X", port)
        var inodes: Set<String> = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[1].hasSuffix(local), fields[3] != "0A" else { continue }
            inodes.insert("socket:[\(fields[9])]")
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.count { descriptor in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            else { return false }
            return inodes.contains(target)
        }
    }
}

/// A bare TLS HTTP/1.1 client that sends one watch request and collects what comes back as text.
struct RawWatchClient: Sendable {
    enum Close: Sendable, CustomTestStringConvertible {
        /// close_notify, then FIN (an orderly client).
        case tls
        /// RST without close_notify (a killed process, a dropped link noticed by the kernel).
        case abort

        var testDescription: String { self == .tls ? "TLS close" : "reset" }
    }

    let channel: any Channel
    let collector: Collector

    var received: String { collector.text }

    static func open(
        port: Int, caPEM: String, group: any EventLoopGroup, timeoutSeconds: Int? = nil
    ) async throws -> RawWatchClient {
        let client = try await connect(port: port, caPEM: caPEM, group: group)
        let timeout = timeoutSeconds.map { "&timeoutSeconds=\($0)" } ?? ""
        try await client.send(
            "GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1\(timeout) HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nAuthorization: Bearer secret\r\n\r\n")
        return client
    }

    /// A TLS connection, with a client certificate when `identity` (PEM certificate and key) is given.
    static func connect(
        port: Int, caPEM: String, group: any EventLoopGroup, identity: (certificate: String, key: String)? = nil
    ) async throws -> RawWatchClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls.certificateVerification = .noHostnameVerification
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificate.utf8)).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.key.utf8), format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Socket())
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawWatchClient(channel: channel, collector: collector)
    }

    func send(_ request: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
    }

    /// Sends a GET and waits for its complete (Content-Length) response; returns the status line and the body.
    func get(_ path: String, authorization: String? = nil) async throws -> (status: String, body: String) {
        collector.reset()
        let header = authorization.map { "Authorization: \($0)\r\n" } ?? ""
        try await send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(header)\r\n")
        for _ in 0..<500 {
            let text = received
            if let split = text.range(of: "\r\n\r\n"),
                let length = text[..<split.lowerBound].split(separator: "\r\n")
                    .first(where: { $0.lowercased().hasPrefix("content-length:") })
                    .flatMap({ Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }),
                text.utf8.count - text[..<split.upperBound].utf8.count >= length
            {
                let statusEnd = text.range(of: "\r\n")?.lowerBound ?? split.lowerBound
                return (String(text[..<statusEnd]), String(text[split.upperBound...]))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }

    /// Waits until the response head has arrived (the watch is registered by then).
    func responseStarted() async throws {
        for _ in 0..<500 where !received.contains("\r\n\r\n") {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(received.hasPrefix("HTTP/1.1 200 OK"), "\(received.prefix(200))")
    }

    func close(_ how: Close) async throws {
        switch how {
        case .tls:
            try? await channel.close().get()
        case .abort:
            let socket = try #require(channel as? any SocketOptionProvider)
            try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            // Closed below TLS: no close_notify, and SO_LINGER 0 turns the close into a reset.
            try? await channel.pipeline.context(handlerType: Socket.self).flatMap { $0.close() }.get()
        }
    }

    /// Sits below TLS, so a close issued from here skips close_notify.
    final class Socket: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let bytes = Mutex<[UInt8]>([])

        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

        func reset() { bytes.withLock { $0 = [] } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }
    }
}
