import NIOCore
import Testing

@testable import SkiffContainerd

struct PingFrameScannerTests {
    /// A frame: 9-byte header then the payload.
    func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }

    let settings: [UInt8] = [0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 100]
    var data: [UInt8] { frame(type: 0x0, flags: 0x1, stream: 1, payload: Array("hello".utf8)) }
    var ping: [UInt8] { frame(type: 0x6, payload: [1, 2, 3, 4, 5, 6, 7, 8]) }
    var pingAck: [UInt8] { frame(type: 0x6, flags: 0x1, payload: [9, 9, 9, 9, 9, 9, 9, 9]) }

    /// Feeds `bytes` in chunks of `chunk` bytes and collects what is forwarded and answered.
    func run(_ bytes: [UInt8], chunk: Int) -> (forward: [UInt8], pings: [UInt64]) {
        var scanner = PingFrameScanner()
        var forward: [UInt8] = []
        var pings: [UInt64] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + chunk, bytes.count)
            var result = scanner.scan(ByteBuffer(bytes: bytes[index..<end]))
            forward += result.forward.readBytes(length: result.forward.readableBytes) ?? []
            pings += result.pings
            index = end
        }
        return (forward, pings)
    }

    @Test(arguments: [1, 2, 5, 9, 10, 17, 1000])
    func pingsAreTakenOutAndEverythingElsePassesWhateverTheReadBoundaries(chunk: Int) {
        let stream = settings + ping + data + pingAck + ping + data
        let result = run(stream, chunk: chunk)
        #expect(result.forward == settings + data + pingAck + data)
        #expect(result.pings == [0x0102_0304_0506_0708, 0x0102_0304_0506_0708])
    }

    @Test func aDataFrameThatLooksLikeAPingInsideItsPayloadIsLeftAlone() {
        let disguised = frame(type: 0x0, stream: 3, payload: ping)
        let result = run(disguised + ping, chunk: 4)
        #expect(result.forward == disguised)
        #expect(result.pings.count == 1)
    }

    @Test func theAckCarriesThePayloadBack() {
        var buffer = ByteBuffer()
        PingFrameScanner.writePingAck(0x0102_0304_0506_0708, into: &buffer)
        #expect(
            buffer.readBytes(length: buffer.readableBytes)
                == frame(type: 0x6, flags: 0x1, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
    }
}
