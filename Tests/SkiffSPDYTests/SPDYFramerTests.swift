import CZlib
import Testing

@testable import SkiffSPDY

struct SPDYFramerTests {
    @Test func theDictionaryIsSPDY3s() {
        #expect(SPDYDictionary.bytes.count == 1423)
        let checksum = SPDYDictionary.bytes.withUnsafeBufferPointer { adler32(1, $0.baseAddress, UInt32($0.count)) }
        // zlib names the dictionary by this Adler-32 in every stream it primes; a peer with another dictionary fails.
        #expect(checksum == 0xe3c6_a7c2)
    }

    static let frames: [SPDYFrame] = [
        .synStream(stream: 1, headers: [SPDYHeader("streamtype", "error")]),
        .synStream(stream: 3, headers: [SPDYHeader("streamtype", "stdin"), SPDYHeader("port", "8080")]),
        .synReply(stream: 1, headers: []),
        .synReply(stream: 3, fin: true, headers: [SPDYHeader("streamtype", "stdin")]),
        .headers(stream: 5, headers: [SPDYHeader("requestid", "0")]),
        .data(stream: 3, [104, 105, 10]), .data(stream: 3, fin: true, []),
        .rstStream(stream: 7, status: SPDYFrame.cancel), .ping(1), .goAway(lastGoodStream: 9, status: 0),
        .windowUpdate(stream: 0, delta: 65536), .settings([SPDYSetting(flags: 1, id: 7, value: 1 << 20)]),
    ]

    /// Every frame kind survives a sender's framer into a receiver's, in one connection (the header compression
    /// contexts run across frames), whatever the chunking of the byte stream.
    @Test(arguments: [1, 7, 4096])
    func framesSurviveAConnectionInAnyChunking(chunk: Int) throws {
        let sender = try SPDYFramer()
        let receiver = try SPDYFramer()
        let bytes = Self.frames.flatMap { sender.encode($0) }
        var decoded: [SPDYFrame] = []
        var offset = 0
        while offset < bytes.count {
            decoded += try receiver.feed(bytes[offset..<min(offset + chunk, bytes.count)])
            offset += chunk
        }
        #expect(decoded == Self.frames)
    }

    @Test func theWireFormatIsSPDY3() throws {
        #expect(
            SPDYFramer.encode(withoutHeaders: .data(stream: 5, fin: true, [1, 2])) == [0, 0, 0, 5, 1, 0, 0, 2, 1, 2])
        #expect(SPDYFramer.encode(withoutHeaders: .ping(7)) == [0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7])
        let syn = try SPDYFramer().encode(.synStream(stream: 1, headers: [SPDYHeader("StreamType", "error")]))
        #expect(Array(syn.prefix(5)) == [0x80, 3, 0, 1, 0])
        #expect(Array(syn[8..<18]) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        // Header names go out lowercased, as SPDY requires.
        #expect(try SPDYFramer().feed(syn) == [.synStream(stream: 1, headers: [SPDYHeader("streamtype", "error")])])
    }

    @Test func brokenFramesSayWhatIsWrong() throws {
        #expect(throws: SPDYError("control frame of version 2, not 3")) {
            _ = try SPDYFramer().feed([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        }
        #expect(throws: SPDYError("control frame 3 of 4 bytes is too short")) {
            _ = try SPDYFramer().feed([0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1])
        }
        #expect(throws: SPDYError.self) {
            _ = try SPDYFramer().feed([0x80, 3, 0, 2, 0, 0, 0, 6, 0, 0, 0, 1, 0xff, 0xff])
        }
        // Unknown control frames are skipped.
        #expect(
            try SPDYFramer().feed([0x80, 3, 0, 10, 0, 0, 0, 0] + SPDYFramer.encode(withoutHeaders: .ping(3))!) == [
                .ping(3)
            ])
    }
}
