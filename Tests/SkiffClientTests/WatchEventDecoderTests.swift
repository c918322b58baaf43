import SkiffModel
import Testing

@testable import SkiffClient

@Suite struct WatchEventDecoderTests {
    static let added = #"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}}}"#
    static let modified = #"{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"6"}}}"#

    @Test func eventsSplitAcrossChunksComeOutWhole() throws {
        let stream = Array((Self.added + "\n" + Self.modified + "\n").utf8)
        for size in [1, 3, 17, 64, stream.count] {
            var decoder = WatchEventDecoder()
            var names: [String] = []
            var offset = 0
            while offset < stream.count {
                let chunk = stream[offset..<min(offset + size, stream.count)]
                offset += size
                for line in try decoder.feed(chunk) {
                    guard case .event(let event) = line else {
                        Issue.record("unexpected \(line)")
                        continue
                    }
                    names.append("\(event.kind.rawValue) \(event.object.resourceVersion ?? "")")
                }
            }
            #expect(try decoder.finish() == nil)
            #expect(names == ["ADDED 5", "MODIFIED 6"], "chunk size \(size)")
        }
    }

    @Test func aLastLineWithoutNewlineStillCounts() throws {
        var decoder = WatchEventDecoder()
        #expect(try decoder.feed(Array(Self.added.utf8)).isEmpty)
        guard case .event(let event)? = try decoder.finish() else {
            Issue.record("no event")
            return
        }
        #expect(event.kind == .added)
        #expect(event.object.name == "a")
    }

    @Test func anExpiredErrorEventBecomesA410() throws {
        let line = APIError.expired("too old resource version: 1 (40)").status
        let event: JSON = ["type": "ERROR", "object": line]
        guard case .error(let error) = try WatchEventDecoder.decode(event.serialized()[...]) else {
            Issue.record("not an error")
            return
        }
        #expect(error.code == 410)
        #expect(error.reason == "Expired")
    }

    @Test func bookmarksAndBlankLinesAreNoEvents() throws {
        var decoder = WatchEventDecoder()
        let text = "\r\n" + #"{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}}"# + "\n\n"
        let lines = try decoder.feed(Array(text.utf8))
        #expect(lines.count == 1)
        guard case .bookmark(let version) = lines.first else {
            Issue.record("not a bookmark")
            return
        }
        #expect(version == "12")
    }

    @Test(arguments: [
        #"{"type":"ADDED""#, #"{"object":{}}"#, #"{"type":"SOMETHING","object":{}}"#, #"{"type":"ADDED","object":3}"#,
    ])
    func malformedLinesAreErrors(line: String) {
        #expect(throws: APIError.self) { _ = try WatchEventDecoder.decode(Array(line.utf8)[...]) }
    }
}

extension WatchEventDecoder.Line: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.bookmark(let a), .bookmark(let b)): a == b
        case (.error(let a), .error(let b)): a == b
        case (.event(let a), .event(let b)): a.kind == b.kind && a.object == b.object
        default: false
        }
    }
}
