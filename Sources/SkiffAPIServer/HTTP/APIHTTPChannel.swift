import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// HTTP/1.1 for the API server, written against NIO's pipeline instead of Hummingbird's `HTTP1Channel`.
///
/// Every API request is small or refused (3 MiB), so the pipeline collects a whole request — head and body — before
/// anything asynchronous happens, and the connection's task (on the connection's event loop, see
/// `APIConnectionChannel`) answers it and hands the response parts to the connection's `APIHTTPHandler`, which
/// writes them just above NIO's HTTP encoder. Hummingbird's channel streams every part through an async sequence in
/// and an async writer out, and through four more handlers (type conversion, connection state, error handling,
/// header validation); together that measured ~20 % of the server's CPU at 16 clients creating objects. The
/// responder, `Request`, `Response` and the accept loop (`Server`) stay Hummingbird's.
///
/// The socket is read while a response is being written, as Go's server does: a client that leaves in the middle of a
/// watch is seen at once (NIO's pipelining handler would stop reading until the response ended — never, for a quiet
/// watch). Requests a client pipelines behind the current one wait in the connection's `RequestQueue`, which refuses
/// to hold more than a few.
///
/// The connection's own state travels in its `Value`: the request queue, the handler and the `APIConnection` (closure,
/// client certificate identity) that each request's context carries to the responder.
struct APIHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let requests: RequestQueue
        let http: NIOLoopBound<APIHTTPHandler>
        let connection: APIConnection
    }

    let responder: APIResponder
    let date: HTTPDateService
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // NIO's HTTP codec, as `configureHTTPServerPipeline` sets it up without pipelining assistance, error
            // handling or outbound header validation (response headers come from HTTPTypes' `HTTPFields`, which
            // validates them already) — but keeping the bytes a client sends behind a request that switches to
            // WebSocket.
            let encoder = HTTPResponseEncoder()
            let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
            try pipeline.addHandler(encoder)
            try pipeline.addHandler(decoder)
            let requests = RequestQueue()
            let http = APIHTTPHandler(
                requests: requests, bodyLimit: APIResponder.maxBodySize, codec: (decoder: decoder, encoder: encoder))
            try pipeline.addHandler(http)
            let connection = APIConnection()
            channel.closeFuture.whenComplete { _ in connection.close() }
            return Value(
                channel: channel, requests: requests, http: NIOLoopBound(http, eventLoop: channel.eventLoop),
                connection: connection)
        }
    }

    /// Answers the connection's requests in order until it closes.
    func handle(value: Value, logger: Logger) async {
        while let request = await value.requests.next() {
            await respond(to: request, on: value)
        }
    }

    private func respond(to request: Request, on connection: Value) async {
        var context = APIRequestContext(source: .init(channel: connection.channel, logger: logger))
        context.connection = connection.connection
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = date.now
        let writer = ResponsePartWriter(http: connection.http, flushEveryWrite: response.body.contentLength == nil)
        if response.status == .switchingProtocols, let session = connection.connection.takeWebSocketSession() {
            await switchToWebSocket(response, session: session, writer: writer, on: connection, path: request.uri.path)
            return
        }
        do {
            // A watch's client waits for its head.
            try await writer.send(.head(HTTPResponseHead(response.head)), flush: writer.flushEveryWrite)
            try await response.body.write(writer)
        } catch {
            logger.debug("response not written", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            connection.channel.close(promise: nil)
        }
    }

    /// Writes the 101, swaps the connection's HTTP codec for WebSocket frames and runs `session` on them; the
    /// connection closes when it returns.
    private func switchToWebSocket(
        _ response: Response, session: WebSocketSession, writer: ResponsePartWriter, on connection: Value, path: String
    ) async {
        do {
            try await writer.send(.head(HTTPResponseHead(response.head)), flush: false)
            try await writer.send(.end(nil), flush: true)
            let http = connection.http
            let frames = try await http.eventLoop.submit {
                try http.value.upgradeToWebSocket(maxFrameSize: Self.maxWebSocketFrame)
            }.get()
            await session(frames)
        } catch {
            logger.debug("WebSocket not started", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        connection.channel.close(promise: nil)
    }

    /// The largest WebSocket frame a client may send (a tunnel frame of 32 KiB with its header fits).
    static let maxWebSocketFrame = 1 << 20
}
