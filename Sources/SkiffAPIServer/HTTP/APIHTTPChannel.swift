#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

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
struct APIHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let requests: RequestQueue
        let http: NIOLoopBound<APIHTTPHandler>
    }

    let responder: APIResponder
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // Response headers come from HTTPTypes' `HTTPFields`, which validates them already.
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false)
            let requests = RequestQueue()
            let http = APIHTTPHandler(requests: requests, bodyLimit: APIResponder.maxBodySize)
            try pipeline.addHandler(http)
            return Value(channel: channel, requests: requests, http: NIOLoopBound(http, eventLoop: channel.eventLoop))
        }
    }

    /// Answers the connection's requests in order until it closes.
    func handle(value: Value, logger: Logger) async {
        while let request = await value.requests.next() {
            await respond(to: request, on: value)
        }
    }

    private func respond(to request: Request, on connection: Value) async {
        let context = APIRequestContext(source: .init(channel: connection.channel, logger: logger))
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        let writer = ResponsePartWriter(http: connection.http, flushEveryWrite: response.body.contentLength == nil)
        do {
            try await writer.send(.head(HTTPResponseHead(response.head)), flush: writer.flushEveryWrite)  // a watch's client waits for its head
            try await response.body.write(writer)
        } catch {
            logger.debug("response not written", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            connection.channel.close(promise: nil)
        }
    }
}

/// The requests of one connection, from the pipeline (on the event loop) to the connection's task.
final class RequestQueue: Sendable {
    /// Requests a client may pipeline behind the one being answered (kubectl and client-go never pipeline).
    static let maxPending = 16

    private struct State {
        var pending: [Request] = []
        var waiter: CheckedContinuation<Request?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Queues `request`; false if the client has pipelined more than `maxPending` requests.
    func push(_ request: Request) -> Bool {
        let (waiter, accepted) = state.withLock { state -> (CheckedContinuation<Request?, Never>?, Bool) in
            guard !state.finished else { return (nil, true) }
            guard let waiter = state.waiter else {
                guard state.pending.count < Self.maxPending else { return (nil, false) }
                state.pending.append(request)
                return (nil, true)
            }
            state.waiter = nil
            return (waiter, true)
        }
        waiter?.resume(returning: request)
        return accepted
    }

    /// No more requests: the connection closed. A waiting `next()` returns nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Request?, Never>? in
            state.finished = true
            state.pending.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next request, or nil once the connection has closed (or the task is cancelled).
    func next() async -> Request? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Request?? in
                    if !state.pending.isEmpty { return .some(state.pending.removeFirst()) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }
}

/// One connection's HTTP/1.1 state, on its event loop. Inbound it collects each request's head and body and queues
/// the whole request; a body over `bodyLimit` is kept only up to just past the limit — enough for the handler to
/// refuse it with 413 — and the rest is read and dropped. Outbound it writes the response parts the connection's
/// task sends (`send`). The connection closes after the last response when that response says `Connection: close`
/// (the 503 sent while shutting down), when a request asked for it (`Connection: close`, HTTP/1.0 without
/// keep-alive — its response then says so too) or when the server quiesces; an idle connection closes at once on
/// quiesce. Malformed HTTP is answered 400 and the connection closed.
final class APIHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requests: RequestQueue
    private let bodyLimit: Int
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Requests read whose response has not ended yet.
    private var unanswered = 0
    private var responding = false
    private var closeAfterResponse = false

    init(requests: RequestQueue, bodyLimit: Int) {
        self.requests = requests
        self.bodyLimit = bodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        requests.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            unanswered += 1
            // `Connection: close`, or HTTP/1.0 without keep-alive: the client reads the response until the close.
            if !head.isKeepAlive { closeAfterResponse = true }
        case .body(var chunk):
            if body == nil {
                body = chunk
            } else if body!.readableBytes <= bodyLimit {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let collected = body ?? ByteBuffer()
            body = nil
            do {
                let request = Request(head: try HTTPRequest(head, secure: true, splitCookie: false), body: .init(buffer: collected))
                if !requests.push(request) { context.close(promise: nil) }
            } catch {
                refuse(context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        requests.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        refuse(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if unanswered == 0 {
            context.close(promise: nil)
        } else {
            closeAfterResponse = true
        }
    }

    /// A request that cannot be parsed: 400 if nothing is being answered (the client waits for it), then close.
    private func refuse(_ context: ChannelHandlerContext) {
        if !responding, unanswered <= 1 {
            var head = HTTPResponseHead(version: .http1_1, status: .badRequest)
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }

    /// Writes one part of the current response. Returns a future to wait on while the socket is not writable (a slow
    /// reader holds back its watch instead of filling memory); nil when the caller may go on at once.
    func send(_ part: HTTPServerResponsePart, flush: Bool) throws -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive else { throw ChannelError.ioOnClosedChannel }
        var part = part
        var flush = flush
        switch part {
        case .head(var head):
            responding = true
            if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                closeAfterResponse = true
            } else if closeAfterResponse, unanswered == 1 {
                head.headers.add(name: "Connection", value: "close")  // the last response before the close says so
                part = .head(head)
            }
        case .body:
            break
        case .end:
            responding = false
            unanswered = max(0, unanswered - 1)
            flush = true
        }
        let promise: EventLoopPromise<Void>? = context.channel.isWritable ? nil : context.eventLoop.makePromise()
        if flush {
            context.writeAndFlush(wrapOutboundOut(part), promise: promise)
        } else {
            context.write(wrapOutboundOut(part), promise: promise)
        }
        if case .end = part, closeAfterResponse, unanswered == 0 {
            context.close(promise: nil)
        }
        return promise?.futureResult
    }
}

/// Hands response parts from the connection's task to its `APIHTTPHandler`. A body of known length goes out with one
/// flush at its end; a streamed one (watch events) is flushed part by part.
struct ResponsePartWriter: ResponseBodyWriter {
    let http: NIOLoopBound<APIHTTPHandler>
    let flushEveryWrite: Bool

    func send(_ part: HTTPServerResponsePart, flush: Bool) async throws {
        let loop = http.eventLoop
        let wait: EventLoopFuture<Void>?
        if loop.inEventLoop {
            wait = try http.value.send(part, flush: flush)
        } else {
            let http = self.http
            wait = try await loop.submit { try http.value.send(part, flush: flush) }.get()
        }
        try await wait?.get()
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await send(.body(.byteBuffer(buffer)), flush: flushEveryWrite)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await send(.end(trailingHeaders.map(HTTPHeaders.init)), flush: true)
    }
}

/// The `Date` header's IMF-fixdate, formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        let second = time(nil)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(secondsSinceEpoch: second)
        cache.withLock { $0 = (second, text) }
        return text
    }

    static func format(secondsSinceEpoch seconds: Int) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
