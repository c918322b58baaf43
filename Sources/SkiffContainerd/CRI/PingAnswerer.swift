import NIOCore

/// Answers the runtime's HTTP/2 PINGs before swift-nio-http2 sees them.
///
/// containerd's gRPC server (grpc-go) estimates bandwidth-delay product by sending a PING after the DATA of almost
/// every request it reads, so a client's PING count grows with its call count. swift-nio-http2 treats more than 200
/// inbound PINGs in 30 s as a denial-of-service attempt and closes the connection, failing every call in flight with
/// "Stream unexpectedly closed"; grpc-swift-nio-transport does not let a client raise that limit. On a local socket to
/// our own child process the heuristic protects nothing, so this handler, first in the pipeline, takes each PING
/// (not ACK) out of the inbound byte stream and writes its ACK itself. Every other frame passes through untouched.
final class PingAnswerer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var scanner = PingFrameScanner()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let result = scanner.scan(unwrapInboundIn(data))
        if !result.pings.isEmpty {
            var acks = context.channel.allocator.buffer(capacity: result.pings.count * PingFrameScanner.pingFrameSize)
            for payload in result.pings { PingFrameScanner.writePingAck(payload, into: &acks) }
            context.writeAndFlush(wrapOutboundOut(acks), promise: nil)
        }
        if result.forward.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(result.forward))
        }
    }
}

/// The I/O-free half of `PingAnswerer`: splits an HTTP/2 byte stream (server to client, after the connection
/// preface) into frames across read boundaries, keeps PING frames without the ACK flag aside and forwards the rest.
struct PingFrameScanner {
    static let headerSize = 9
    static let pingType: UInt8 = 0x6
    static let ackFlag: UInt8 = 0x1
    static let pingFrameSize = headerSize + 8

    /// Bytes of a frame header not complete yet.
    private var partialHeader: [UInt8] = []
    /// Payload bytes still to forward of the frame being passed through.
    private var remainingPayload = 0
    /// The PING being collected when its frame spans reads: header and payload so far.
    private var partialPing: [UInt8]?

    struct Result {
        /// The bytes to hand on to the HTTP/2 handler.
        var forward: ByteBuffer
        /// The 8-byte payloads of the PINGs to acknowledge.
        var pings: [UInt64] = []
    }

    mutating func scan(_ input: ByteBuffer) -> Result {
        var input = input
        var result = Result(forward: ByteBuffer())
        result.forward.reserveCapacity(input.readableBytes)
        while input.readableBytes > 0 {
            if remainingPayload > 0 {
                let count = min(remainingPayload, input.readableBytes)
                var slice = input.readSlice(length: count)!
                remainingPayload -= count
                if partialPing != nil {
                    partialPing!.append(contentsOf: slice.readBytes(length: count)!)
                    if remainingPayload == 0 {
                        result.pings.append(Self.payload(of: partialPing!))
                        partialPing = nil
                    }
                } else {
                    result.forward.writeBuffer(&slice)
                }
                continue
            }
            let needed = Self.headerSize - partialHeader.count
            partialHeader.append(contentsOf: input.readBytes(length: min(needed, input.readableBytes))!)
            guard partialHeader.count == Self.headerSize else { break }
            let header = partialHeader
            partialHeader = []
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            let isPing = header[3] == Self.pingType && header[4] & Self.ackFlag == 0 && length == 8
            remainingPayload = length
            if isPing {
                partialPing = header
            } else {
                result.forward.writeBytes(header)
            }
        }
        return result
    }

    private static func payload(of frame: [UInt8]) -> UInt64 {
        frame[headerSize...].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A PING frame with the ACK flag and `payload`, on stream 0.
    static func writePingAck(_ payload: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeBytes([0, 0, 8, pingType, ackFlag, 0, 0, 0, 0])
        buffer.writeInteger(payload)
    }
}
