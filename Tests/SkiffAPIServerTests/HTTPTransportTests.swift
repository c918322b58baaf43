import NIOCore
import NIOPosix
import Testing

@testable import SkiffAPIServer

/// The API server's HTTP/1.1 handling (`APIHTTPChannel`) on a live TLS server, byte by byte as a client sends them:
/// pipelining, the body limit, malformed requests and `Connection: close`.
@Suite(.serialized) struct HTTPTransportTests {
    static let bearer = "Authorization: Bearer secret\r\n"

    static func connect(_ port: Int, _ store: APIConnectionTests.Store) async throws -> RawWatchClient {
        try await RawWatchClient.connect(port: port, caPEM: store.caPEM, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// The status lines in what came back (a response body ends without a line break, so the next status line
    /// follows it directly).
    static func statusLines(_ text: String) -> [String] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0.prefix { !$0.isNewline } }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let names = ["kube-system", "default", "kube-public"]
            try await client.send(
                names.map { "GET /api/v1/namespaces/\($0) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.bearer)\r\n" }.joined())
            let answered = await APIConnectionTests.poll(within: .seconds(5)) {
                Self.statusLines(client.received).count == 3
            }
            #expect(answered, "\(client.received.prefix(300))")
            #expect(Self.statusLines(client.received) == Array(repeating: "HTTP/1.1 200 OK", count: 3))
            let order = names.compactMap { client.received.range(of: "\"name\":\"\($0)\"")?.lowerBound }
            #expect(order.count == 3 && order == order.sorted(), "responses follow the requests' order")
            try await client.close(.tls)
        }
    }

    @Test func aBodyOverTheLimitIsRefusedWith413AndTheConnectionServesTheNextRequest() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let length = APIResponder.maxBodySize + 100
            try await client.send(
                "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.bearer)"
                    + "Content-Type: application/json\r\nContent-Length: \(length)\r\n\r\n")
            try await client.send(String(repeating: "a", count: length))
            let refused = await APIConnectionTests.poll(within: .seconds(5)) { client.received.contains("}") }
            #expect(refused)
            #expect(Self.statusLines(client.received) == ["HTTP/1.1 413 Payload Too Large"])
            #expect(client.received.contains("\"reason\":\"RequestEntityTooLarge\""))
            #expect(store.clientWatchers == 0)
            let next = try await client.get("/api/v1/namespaces/default", authorization: "Bearer secret")
            #expect(next.status == "HTTP/1.1 200 OK")
            try await client.close(.tls)
        }
    }

    @Test func malformedHTTPIsAnswered400AndTheConnectionClosed() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            try await client.send("GET /api/v1/namespaces HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")
            let closed = await APIConnectionTests.poll(within: .seconds(5)) { !client.channel.isActive }
            #expect(closed)
            #expect(Self.statusLines(client.received) == ["HTTP/1.1 400 Bad Request"])
        }
    }

    @Test func aRequestSayingConnectionCloseIsAnsweredThenTheConnectionCloses() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            try await client.send(
                "GET /api/v1/namespaces/default HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.bearer)Connection: close\r\n\r\n")
            let closed = await APIConnectionTests.poll(within: .seconds(5)) { !client.channel.isActive }
            #expect(closed)
            #expect(Self.statusLines(client.received) == ["HTTP/1.1 200 OK"])
            #expect(client.received.lowercased().contains("connection: close\r\n"))
            #expect(client.received.contains("\"name\":\"default\""))
        }
    }

    @Test func anHTTP10RequestWithoutKeepAliveIsAnsweredThenTheConnectionCloses() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            try await client.send("GET /api/v1/namespaces/default HTTP/1.0\r\nHost: 127.0.0.1\r\n\(Self.bearer)\r\n")
            let closed = await APIConnectionTests.poll(within: .seconds(5)) { !client.channel.isActive }
            #expect(closed)
            #expect(client.received.contains("\"name\":\"default\""))
        }
    }

    @Test func aClientPipeliningTooManyRequestsIsDisconnected() async throws {
        try await APIConnectionTests.withServer { port, store in
            let client = try await Self.connect(port, store)
            let count = RequestQueue.maxPending * 3
            try await client.send(
                String(
                    repeating: "GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.bearer)\r\n", count: count)
            )
            let closed = await APIConnectionTests.poll(within: .seconds(5)) { !client.channel.isActive }
            #expect(closed)
            #expect(Self.statusLines(client.received).count < count)
        }
    }
}
