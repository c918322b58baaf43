import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps the TLS HTTP/1.1 child channel with what a prompt graceful shutdown needs:
///
/// - No remote half-closure. Hummingbird enables it, but over TLS it stalls every server-initiated close: once
///   `NIOSSLHandler` has sent its close_notify it neither finishes on the peer's answering close_notify nor on the
///   peer's FIN while half-closure is allowed, and waits out its shutdown timeout instead. A client that goes away
///   (close_notify or FIN) now closes the connection at once, as Go's server does.
/// - A response that says `Connection: close` closes the connection once written (`CloseAfterResponseHandler`).
struct APIConnectionChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: false)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            try pipeline.addHandler(CloseAfterResponseHandler(), position: .after(encoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Closes the connection after the end of a response whose head carries `Connection: close` (e.g. the 503 sent while
/// shutting down), as HTTP/1.1 requires; Hummingbird itself only honours the request's header.
final class CloseAfterResponseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var closeAfterEnd = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                closeAfterEnd = true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterEnd else {
                context.write(data, promise: promise)
                return
            }
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }
}
