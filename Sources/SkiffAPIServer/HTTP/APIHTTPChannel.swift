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
/// `APIConnectionChannel`) answers it and writes the response parts straight into the pipeline. Hummingbird's channel
/// streams every part through an async sequence in and an async writer out, which measured ~20 % of the server's
/// CPU at 16 clients creating objects; the responder, `Request` and `Response` stay Hummingbird's.
///
/// The socket is read while a response is being written, as Go's server does: a client that leaves in the middle of a
/// watch is seen at once (NIO's pipelining handler would stop reading until the response ended — never, for a quiet
/// watch). Requests a client pipelines behind the current one wait in the connection's `RequestQueue`, which refuses
/// to hold more than a few. NIO's error handler answers malformed HTTP with 400 and closes; Hummingbird's state
/// handler closes idle connections when the server quiesces.
struct APIHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let requests: RequestQueue
    }

    let responder: APIResponder
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(logger: logger))
            let requests = RequestQueue()
            try pipeline.addHandler(RequestCollector(requests: requests, bodyLimit: APIResponder.maxBodySize))
            return Value(channel: channel, requests: requests)
        }
    }

    /// Answers the connection's requests in order until it closes.
    func handle(value: Value, logger: Logger) async {
        while let request = await value.requests.next() {
            await respond(to: request, on: value.channel)
        }
    }

    private func respond(to request: Request, on channel: any Channel) async {
        let context = APIRequestContext(source: .init(channel: channel, logger: logger))
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        if request.headers[.connection]?.lowercased() == "close" {
            response.headers[.connection] = "close"  // `CloseAfterResponseHandler` closes once the response is out
        }
        let writer = ChannelBodyWriter(channel: channel, flushEveryWrite: response.body.contentLength == nil)
        do {
            try await writer.send(.head(response.head), flush: writer.flushEveryWrite)  // a watch's client waits for its head
            try await response.body.write(writer)
        } catch {
            logger.debug("response not written", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            channel.close(promise: nil)
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

/// Collects each request's head and body, then queues the whole request. A body over `bodyLimit` is kept only up to
/// just past the limit — enough for the handler to refuse it with 413 — and the rest is read and dropped.
final class RequestCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private let requests: RequestQueue
    private let bodyLimit: Int
    private var head: HTTPRequest?
    private var body: ByteBuffer?

    init(requests: RequestQueue, bodyLimit: Int) {
        self.requests = requests
        self.bodyLimit = bodyLimit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
        case .body(var chunk):
            if body == nil {
                body = chunk
            } else if body!.readableBytes <= bodyLimit {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            let request = Request(head: head, body: .init(buffer: body ?? ByteBuffer()))
            self.head = nil
            body = nil
            if !requests.push(request) { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        requests.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requests.finish()
    }
}

/// Writes response parts into the channel from the connection's task. A body of known length goes out with one flush
/// at its end; a streamed one (watch events) is flushed part by part. While the socket is not writable each write
/// waits for the previous ones to leave, so a slow reader holds back its watch instead of filling memory.
struct ChannelBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    let flushEveryWrite: Bool

    func send(_ part: HTTPResponsePart, flush: Bool) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        if !channel.isWritable {
            try await channel.writeAndFlush(part)
        } else if flush {
            channel.writeAndFlush(part, promise: nil)
        } else {
            channel.write(part, promise: nil)
        }
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await send(.body(buffer), flush: flushEveryWrite)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await send(.end(trailingHeaders), flush: true)
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
