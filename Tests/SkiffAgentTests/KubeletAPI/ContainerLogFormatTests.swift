import Foundation
import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct ContainerLogFormatTests {
    static let file = """
        2026-11-21T22:31:57.1Z stdout F one
        2026-11-21T22:31:58.166543953Z stderr F two
        2026-11-21T22:31:59Z stdout P thr
        2026-11-21T22:31:59.5Z stdout F ee
        2026-11-21T22:32:00Z stdout F four

        """

    @Test func partsAreJoinedAndEachLineEnds() {
        var formatter = ContainerLogFormatter(query: LogQuery())
        #expect(String(decoding: formatter.format(Array(Self.file.utf8)), as: UTF8.self) == "one\ntwo\nthree\nfour\n")
    }

    @Test func timestampsPrefixEachLineOnce() {
        var formatter = ContainerLogFormatter(query: LogQuery(timestamps: true))
        let out = String(decoding: formatter.format(Array(Self.file.utf8)), as: UTF8.self)
        #expect(out.split(separator: "\n")[2] == "2026-11-21T22:31:59Z three")
        #expect(out.split(separator: "\n")[1] == "2026-11-21T22:31:58.166543953Z two")
    }

    @Test func anIncompleteRecordWaitsForItsNewline() {
        var formatter = ContainerLogFormatter(query: LogQuery())
        #expect(formatter.format(Array("2026-11-21T22:31:57Z stdout F he".utf8)).isEmpty)
        #expect(String(decoding: formatter.format(Array("llo\n".utf8)), as: UTF8.self) == "hello\n")
    }

    @Test func sinceSkipsOlderRecords() {
        var formatter = ContainerLogFormatter(query: LogQuery(since: KubeTimestamp.date("2026-11-21T22:31:59Z")))
        #expect(String(decoding: formatter.format(Array(Self.file.utf8)), as: UTF8.self) == "three\nfour\n")
    }

    @Test func tailCountsWholeLines() {
        let bytes = Array(Self.file.utf8)
        let two = ContainerLogFormatter.tailOffset(bytes, lines: 2)
        var formatter = ContainerLogFormatter(query: LogQuery())
        #expect(String(decoding: formatter.format(bytes[two...]), as: UTF8.self) == "three\nfour\n")
        #expect(ContainerLogFormatter.tailOffset(bytes, lines: 10) == 0)
        #expect(ContainerLogFormatter.tailOffset(bytes, lines: 0) == bytes.count)
    }

    @Test func queryRejectsBadValuesWithTheirName() {
        #expect(throws: LogQuery.Invalid.self) {
            try LogQuery(KubeletRequest(path: "/", query: [("tailLines", "-1")]), now: Date())
        }
        let query = try? LogQuery(
            KubeletRequest(path: "/", query: [("follow", "true"), ("sinceSeconds", "10")]),
            now: Date(timeIntervalSince1970: 100))
        #expect(query?.follow == true)
        #expect(query?.since == Date(timeIntervalSince1970: 90))
    }
}
