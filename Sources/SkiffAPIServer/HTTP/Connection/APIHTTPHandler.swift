import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// One connection's HTTP/1.1 handler, on its event loop, driven by `HTTPConnectionStateMachine`. Inbound it collects
/// each request's head and body and queues the whole request; a body over `bodyLimit` is kept only up to just past the
/// limit — enough for the responder to refuse it with 413 — and the rest is read and dropped. Outbound it writes the
/// response parts the connection's task sends (`send`). When to close, and whether a head must say
/// `Connection: close`, is the state machine's call. After a 101 it swaps the HTTP codec for WebSocket frames
/// (`upgradeToWebSocket`) and leaves the pipeline.
final class APIHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requests: RequestQueue
    private let bodyLimit: Int
    /// NIO's HTTP codec below this handler, removed when the connection switches to WebSocket (none: cannot switch).
    private let codec: (decoder: any RemovableChannelHandler, encoder: any RemovableChannelHandler)?
    private var context: ChannelHandlerContext?
    private var machine = HTTPConnectionStateMachine()
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    init(
        requests: RequestQueue, bodyLimit: Int,
        codec: (decoder: any RemovableChannelHandler, encoder: any RemovableChannelHandler)? = nil
    ) {
        self.requests = requests
        self.bodyLimit = bodyLimit
        self.codec = codec
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
            // NIO's decoder parses nothing after a request asking to switch protocols: unless the 101 goes out, the
            // connection ends with its response.
            machine.receivedHead(keepAlive: head.isKeepAlive && !Self.asksToSwitchProtocols(head))
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
            action = machine.writingHead(saysClose: saysClose, switchingProtocols: head.status == .switchingProtocols)
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

    /// After the 101 went out: replaces the HTTP codec with WebSocket frames (bytes the client sent behind its
    /// request go to the frame decoder), leaves the pipeline, and returns the channel as frames in and out.
    func upgradeToWebSocket(maxFrameSize: Int) throws -> NIOAsyncChannel<WebSocketFrame, WebSocketFrame> {
        guard let context, let codec, context.channel.isActive, machine.switched() else {
            throw ChannelError.ioOnClosedChannel
        }
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(WebSocketFrameEncoder(), position: .after(codec.decoder))
        try pipeline.addHandler(
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)), position: .after(codec.decoder))
        pipeline.removeHandler(context: context, promise: nil)
        pipeline.removeHandler(codec.encoder, promise: nil)
        pipeline.removeHandler(codec.decoder, promise: nil)
        return try NIOAsyncChannel(wrappingChannelSynchronously: context.channel)
    }

    /// `Upgrade: …` with `Connection: upgrade`: llhttp's condition for ending HTTP parsing after the request.
    static func asksToSwitchProtocols(_ head: HTTPRequestHead) -> Bool {
        !head.headers[canonicalForm: "upgrade"].isEmpty
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
