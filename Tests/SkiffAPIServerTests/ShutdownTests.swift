import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

/// What clients see once the API server has begun to shut down.
@Suite struct ShutdownTests {
    static let logger = Logger(label: "shutdown-test")

    @Test func everyRequestIsRefusedWith503AndConnectionCloseOnceShuttingDown() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Self.logger)
        try await registry.seed()
        let shutdown = ShutdownState()
        let responder = APIResponder(
            registry: registry,
            authenticator: Authenticator(joinSecret: "join-secret", staticTokens: ["secret": .admin()]),
            serverAddress: "127.0.0.1:6443",
            shutdown: shutdown, logger: Self.logger)
        let context = APIRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Self.logger))
        func get(_ path: String) async throws -> Response {
            let head = HTTPRequest(
                method: .get, scheme: "https", authority: "127.0.0.1", path: path,
                headerFields: [.authorization: "Bearer secret"])
            return try await responder.respond(
                to: Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context)
        }

        #expect(try await get("/api/v1/namespaces").status == .ok)
        #expect(try await get("/ping").status == .ok)
        shutdown.begin()
        for path in ["/api/v1/namespaces", "/api/v1/namespaces?watch=true", "/ping", "/version"] {
            let response = try await get(path)
            #expect(response.status.code == 503, "\(path)")
            #expect(response.headers[.connection] == "close", "\(path)")
            #expect(response.headers[.retryAfter] == "1", "\(path)")
            let status = try JSONParser().parse(try await Self.body(response)).value
            #expect(status["kind"] == "Status")
            #expect(status["reason"] == "ServiceUnavailable")
            #expect(status["message"] == "apiserver is shutting down")
            #expect(status["code"] == 503)
        }
    }

    @Test func aResponseSayingConnectionCloseClosesTheConnectionOnceWritten() throws {
        let http = APIHTTPHandler(requests: RequestQueue(), bodyLimit: APIResponder.maxBodySize)
        let channel = EmbeddedChannel(handler: http)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6443)).wait()
        _ = try http.send(.head(HTTPResponseHead(version: .http1_1, status: .ok)), flush: false)
        _ = try http.send(.end(nil), flush: true)
        #expect(channel.isActive, "keep-alive responses leave the connection open")

        var head = HTTPResponseHead(version: .http1_1, status: .serviceUnavailable)
        head.headers.add(name: "Connection", value: "close")
        _ = try http.send(.head(head), flush: false)
        _ = try http.send(.body(.byteBuffer(ByteBuffer(string: "{}"))), flush: false)
        #expect(channel.isActive, "the connection stays open until the response is complete")
        _ = try http.send(.end(nil), flush: true)
        #expect(!channel.isActive)
        var parts: [HTTPServerResponsePart] = []
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) { parts.append(part) }
        #expect(parts.count == 5, "every part was written before the close")
        #expect(throws: ChannelError.self) {
            try http.send(.head(HTTPResponseHead(version: .http1_1, status: .ok)), flush: true)
        }
    }

    /// Collects a response body.
    static func body(_ response: Response) async throws -> [UInt8] {
        let sink = Sink()
        try await response.body.write(Collector(sink: sink))
        return sink.bytes
    }

    final class Sink: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    struct Collector: ResponseBodyWriter {
        let sink: Sink
        mutating func write(_ buffer: ByteBuffer) async throws { sink.bytes += buffer.readableBytesView }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
