import NIOCore
import SkiffDNS

/// One DNS query per datagram: zone answers are written at once (flushed when the read burst ends), forwarded ones
/// when upstream answers.
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let answering: ClusterDNSServer.Answering

    init(answering: ClusterDNSServer.Answering) { self.answering = answering }

    /// True while `channelRead` runs: a reply made meanwhile comes from the zone or the cache.
    private var reading = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let client = envelope.remoteAddress
        let channel = context.channel
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let bound = NIOLoopBound(context, eventLoop: loop)
        let packet = Array(envelope.data.readableBytesView)
        reading = true
        defer { reading = false }
        answering.handle(packet, over: .udp) { bytes in
            let reply = AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes))
            if loop.inEventLoop, handler.value.reading {
                // Inside this read: written now, flushed once at the end of the read burst.
                bound.value.write(Self.wrapOutboundOut(reply), promise: nil)
            } else {
                // Completed later, from upstream (possibly on this same event loop, outside any read).
                channel.writeAndFlush(reply, promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    /// A datagram socket reports ICMP errors for earlier replies as read errors: nothing to do with them.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}

/// DNS over TCP frames each message with a two-byte length (RFC 1035 section 4.2.2).
struct DNSStreamFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        guard let message = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }
}

/// One DNS query per frame on a TCP connection; replies framed the same way, in whatever order they complete.
final class DNSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let answering: ClusterDNSServer.Answering

    init(answering: ClusterDNSServer.Answering) { self.answering = answering }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = Array(Self.unwrapInboundIn(data).readableBytesView)
        let channel = context.channel
        answering.handle(packet, over: .tcp) { bytes in
            var framed = ByteBuffer()
            framed.reserveCapacity(bytes.count + 2)
            framed.writeInteger(UInt16(bytes.count))
            framed.writeBytes(bytes)
            channel.writeAndFlush(framed, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
