import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Closed-loop HTTP/1.1 load that runs entirely on NIO's event loops: one keep-alive connection per client, each
/// sending its next request the moment the previous response has ended. No task, pool or future sits between two
/// requests, so the generator costs little CPU and leaves the box's two cores to the server it measures
/// (AsyncHTTPClient spent about as much CPU per request as the server under test). skiff and etcd are driven by the
/// same code.
enum HTTPLoad {
    struct Request: Sendable {
        var method: HTTPMethod
        var path: String
        var contentType: String? = nil
        var body: ByteBuffer? = nil
        /// An `Authorization` header (a bearer token on a connection without a client certificate).
        var authorization: String? = nil
    }

    /// Where to connect: plain HTTP, or TLS with a client certificate.
    struct Endpoint: Sendable {
        var host: String
        var port: Int
        var tls: NIOSSLContext?

        /// `url` is `http://host:port` or `https://host:port`; `tlsFolder` holds client-admin.crt/.key and
        /// server-ca.crt for https.
        init(url: String, tlsFolder: String?, clientCertificate: Bool = true) throws {
            guard let components = URLComponents(string: url), let host = components.host else {
                throw Failure(description: "not a URL: \(url)")
            }
            self.host = host
            let secure = components.scheme == "https"
            port = components.port ?? (secure ? 443 : 80)
            guard secure else {
                tls = nil
                return
            }
            guard let tlsFolder else { throw Failure(description: "https needs the TLS folder") }
            var configuration = TLSConfiguration.makeClientConfiguration()
            if clientCertificate {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile("\(tlsFolder)/client-admin.crt")
                    .map { .certificate($0) }
                configuration.privateKey = .privateKey(
                    try NIOSSLPrivateKey(file: "\(tlsFolder)/client-admin.key", format: .pem))
            }
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(tlsFolder)/server-ca.crt"))
            configuration.certificateVerification = .noHostnameVerification  // loopback address, our own CA
            tls = try NIOSSLContext(configuration: configuration)
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs `total` requests over `concurrency` connections (each sends `total / concurrency` in sequence).
    static func run(
        _ endpoint: Endpoint, concurrency: Int, total: Int,
        request: @escaping @Sendable (_ worker: Int, _ index: Int) -> Request
    ) async throws -> LoadRunner.Result {
        try await run([endpoint], concurrency: concurrency, total: total, request: request)
    }

    /// The same, with the connections spread over `endpoints` in turn (worker `i` talks to `endpoints[i % count]`):
    /// the load of several servers sharing one datastore.
    static func run(
        _ endpoints: [Endpoint], concurrency: Int, total: Int,
        request: @escaping @Sendable (_ worker: Int, _ index: Int) -> Request
    ) async throws -> LoadRunner.Result {
        precondition(!endpoints.isEmpty, "no endpoint to load")
        let perWorker = max(1, total / concurrency)
        let group = MultiThreadedEventLoopGroup.singleton
        var channels: [(any Channel, EventLoopFuture<ClosedLoopHandler.Outcome>)] = []
        for worker in 0..<concurrency {
            let endpoint = endpoints[worker % endpoints.count]
            let promise = group.next().makePromise(of: ClosedLoopHandler.Outcome.self)
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls = endpoint.tls {
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                        }
                        try pipeline.addHTTPClientHandlers()
                        try pipeline.addHandler(
                            ClosedLoopHandler(
                                worker: worker, count: perWorker, host: endpoint.host, request: request, done: promise))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
            channels.append((channel, promise.futureResult))
        }
        let clock = ContinuousClock()
        let start = clock.now
        for (channel, _) in channels { channel.pipeline.fireUserInboundEventTriggered(ClosedLoopHandler.Start()) }
        var latencies: [Double] = []
        var errors = 0
        var firstError: String?
        for (channel, outcome) in channels {
            let result = try await outcome.get()
            latencies += result.latencies
            errors += result.errors
            if firstError == nil { firstError = result.firstError }
            try? await channel.close()
        }
        let elapsed = LoadRunner.milliseconds(clock.now - start) / 1000
        return LoadRunner.Result(
            operations: perWorker * concurrency, seconds: elapsed, latencies: latencies.sorted(), errors: errors,
            firstError: firstError)
    }
}

/// One client of `HTTPLoad`: sends request `index`, and on the end of its response records the latency and sends the
/// next, until `count` are done.
final class ClosedLoopHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Start {}

    struct Outcome: Sendable {
        var latencies: [Double]
        var errors: Int
        var firstError: String?
    }

    private let worker: Int
    private let count: Int
    private let host: String
    private let request: @Sendable (Int, Int) -> HTTPLoad.Request
    private let done: EventLoopPromise<Outcome>
    private var index = 0
    private var began = NIODeadline.now()
    private var status = HTTPResponseStatus.ok
    private var errorBody = ""
    private var outcome = Outcome(latencies: [], errors: 0)
    private var finished = false

    init(
        worker: Int, count: Int, host: String, request: @escaping @Sendable (Int, Int) -> HTTPLoad.Request,
        done: EventLoopPromise<Outcome>
    ) {
        self.worker = worker
        self.count = count
        self.host = host
        self.request = request
        self.done = done
        outcome.latencies.reserveCapacity(count)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Start { send(context) } else { context.fireUserInboundEventTriggered(event) }
    }

    private func send(_ context: ChannelHandlerContext) {
        let next = request(worker, index)
        var head = HTTPRequestHead(version: .http1_1, method: next.method, uri: next.path)
        head.headers.add(name: "Host", value: host)
        if let authorization = next.authorization { head.headers.add(name: "Authorization", value: authorization) }
        if let body = next.body {
            if let contentType = next.contentType { head.headers.add(name: "Content-Type", value: contentType) }
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        began = .now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = next.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            errorBody = ""
        case .body(let buffer):
            if !(200..<300).contains(status.code), errorBody.count < 300 { errorBody += String(buffer: buffer) }
        case .end:
            let elapsed = NIODeadline.now() - began
            if (200..<300).contains(status.code) {
                outcome.latencies.append(Double(elapsed.nanoseconds) / 1e6)
            } else {
                outcome.errors += 1
                if outcome.firstError == nil { outcome.firstError = "\(status.code) \(errorBody.prefix(300))" }
            }
            index += 1
            if index < count {
                send(context)
            } else {
                finished = true
                done.succeed(outcome)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("connection closed after \(index) of \(count) requests")
        context.fireChannelInactive()
    }

    private func fail(_ reason: String) {
        guard !finished else { return }
        finished = true
        done.fail(HTTPLoad.Failure(description: reason))
    }
}
