import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// One connection's HTTP/1.1 handler, on its event loop, driven by `HTTPConnectionStateMachine`. Inbound it collects
/// each request's head and body and queues the whole request; a body over `bodyLimit` is kept only up to just past the
/// limit — enough for the responder to refuse it with 413 — and the rest is read and dropped. Outbound it writes the
/// response parts the connection's task sends (`send`). When to close, and whether a head must say
/// `Connection: close`, is the state machine's call.
final class APIHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requests: RequestQueue
    private let bodyLimit: Int
    private var context: ChannelHandlerContext?
    private var machine = HTTPConnectionStateMachine()
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    init(requests: RequestQueue, bodyLimit: Int) {
        self.requests = requests
        self.bodyLimit = bodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        machine.closed()
        requests.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            machine.receivedHead(keepAlive: head.isKeepAlive)
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
            guard machine.receivedRequest() == .queue else { return }
            let request: Request
            do {
                request = Request(
                    head: try HTTPRequest(head, secure: true, splitCookie: false), body: .init(buffer: collected))
            } catch {
                perform(machine.receivedMalformedRequest(), context)
                return
            }
            if !requests.push(request) { perform(machine.overflowed(), context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        requests.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        perform(machine.receivedMalformedRequest(), context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        perform(machine.quiesce(), context)
    }

    private func perform(_ action: HTTPConnectionStateMachine.CloseAction, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .close:
            context.close(promise: nil)
        case .refuseThenClose:
            var head = HTTPResponseHead(version: .http1_1, status: .badRequest)
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
        }
    }

    /// Writes one part of the current response. Returns a future to wait on while the socket is not writable (a slow
    /// reader holds back its watch instead of filling memory); nil when the caller may go on at once.
    func send(_ part: HTTPServerResponsePart, flush: Bool) throws -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive else { throw ChannelError.ioOnClosedChannel }
        var part = part
        var flush = flush
        let action: HTTPConnectionStateMachine.ResponseAction
        switch part {
        case .head(var head):
            let saysClose = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            action = machine.writingHead(saysClose: saysClose)
            if action == .writeSayingClose {
                head.headers.add(name: "Connection", value: "close")
                part = .head(head)
            }
        case .body:
            action = machine.writingBody()
        case .end:
            action = machine.writingEnd()
            flush = true
        }
        guard action != .fail else { throw ChannelError.ioOnClosedChannel }
        let promise: EventLoopPromise<Void>? = context.channel.isWritable ? nil : context.eventLoop.makePromise()
        if flush {
            context.writeAndFlush(wrapOutboundOut(part), promise: promise)
        } else {
            context.write(wrapOutboundOut(part), promise: promise)
        }
        if action == .writeThenClose { context.close(promise: nil) }
        return promise?.futureResult
    }
}
