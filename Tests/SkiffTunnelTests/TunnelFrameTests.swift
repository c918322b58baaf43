import Testing

@testable import SkiffTunnel

struct TunnelFrameTests {
    static let frames: [TunnelFrame] = [
        .open(stream: 1, target: "GET /containerLogs/default/web/app?follow=true"), .data(stream: 2, [0, 1, 255]),
        .data(stream: 3, []), .close(stream: 7, reason: ""), .close(stream: 9, reason: "kubelet gone"),
        .window(stream: 4, increment: 131_072), .ping(0x0102_0304_0506_0708), .pong(.max),
        .reset(stream: 11, reason: "the reader went away"), .reset(stream: 12, reason: ""),
    ]

    @Test(arguments: frames)
    func framesSurviveTheirEncoding(_ frame: TunnelFrame) throws {
        #expect(try TunnelFrame.decode(frame.encoded()) == frame)
    }

    @Test func theHeaderIsKindThenStreamBigEndian() {
        #expect(TunnelFrame.window(stream: 0x0102_0304, increment: 5).encoded() == [4, 1, 2, 3, 4, 0, 0, 0, 5])
    }

    @Test(arguments: [
        ([UInt8](), "shorter than its 5-byte header"), ([2, 0, 0, 1], "shorter than its 5-byte header"),
        ([99, 0, 0, 0, 1], "unknown frame kind 99"), ([2, 0, 0, 0, 0, 7], "data frame on stream 0"),
        ([5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1], "ping frame on stream 3, not 0"),
        ([4, 0, 0, 0, 1, 0, 1], "window frame body of 2 bytes, not 4"),
        ([1, 0, 0, 0, 1, 0xff], "open target is not UTF-8"),
    ])
    func malformedMessagesSayWhatIsWrong(_ message: [UInt8], _ expected: String) {
        #expect(throws: TunnelError.self) { try TunnelFrame.decode(message) }
        do { _ = try TunnelFrame.decode(message) } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

struct StreamChannelsTests {
    /// Records survive any split of the byte stream: every cut point of three records, one of them empty.
    @Test func recordsSurviveEveryChunking() throws {
        let records: [(UInt8, [UInt8])] = [(1, Array("hello".utf8)), (3, []), (255, [0])]
        let bytes = records.flatMap { StreamChannels.encode(channel: $0.0, $0.1) }
        #expect(Array(bytes.prefix(10)) == [1, 0, 0, 0, 5, 104, 101, 108, 108, 111])
        for cut in 0...bytes.count {
            var decoder = StreamChannels.Decoder()
            let decoded = try decoder.feed(Array(bytes[..<cut])) + decoder.feed(Array(bytes[cut...]))
            #expect(decoded.map(\.channel) == [1, 3, 255], "cut at \(cut)")
            #expect(decoded.map(\.payload) == records.map(\.1), "cut at \(cut)")
            #expect(decoder.pending == 0)
        }
    }

    @Test func anOversizedRecordIsAProtocolError() {
        var decoder = StreamChannels.Decoder()
        #expect(throws: TunnelError("a stream record of 16777216 bytes, over the 1048576 limit")) {
            _ = try decoder.feed([1, 1, 0, 0, 0])
        }
    }
}
