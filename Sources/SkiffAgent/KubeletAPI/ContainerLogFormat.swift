import Foundation
import SkiffModel

/// One record of a CRI container log file: `<RFC3339Nano> <stdout|stderr> <P|F> <message>`. `P` records are parts
/// of a line longer than the runtime's record size; the `F` record ends the line.
public struct CRILogRecord: Sendable, Equatable {
    public var time: Date
    /// The timestamp as written (RFC3339Nano, variable width).
    public var timestamp: Substring
    public var stream: Substring
    public var partial: Bool
    public var message: Substring

    /// Parses one line (without its newline); nil when malformed.
    public init?(_ line: Substring) {
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, let time = KubeTimestamp.date(String(fields[0])) else { return nil }
        self.time = time
        self.timestamp = fields[0]
        self.stream = fields[1]
        // The tag field may later carry more `:`-separated tags; the first is P or F.
        self.partial = fields[2].split(separator: ":").first == "P"
        self.message = fields.count > 3 ? fields[3] : ""
    }
}

/// What `kubectl logs` asks for, from the kubelet request's query.
public struct LogQuery: Sendable, Equatable {
    public var follow = false
    public var previous = false
    public var timestamps = false
    public var tailLines: Int?
    /// Records older than this are skipped (`sinceSeconds` / `sinceTime`).
    public var since: Date?
    public var limitBytes: Int?

    public init(
        follow: Bool = false, previous: Bool = false, timestamps: Bool = false, tailLines: Int? = nil,
        since: Date? = nil, limitBytes: Int? = nil
    ) {
        self.follow = follow
        self.previous = previous
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.since = since
        self.limitBytes = limitBytes
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the query the API server forwards; `now` anchors `sinceSeconds`.
    public init(_ request: KubeletRequest, now: Date) throws(Invalid) {
        func flag(_ name: String) throws(Invalid) -> Bool {
            guard let text = request.value(name) else { return false }
            switch text.lowercased() {
            case "", "1", "t", "true": return true
            case "0", "f", "false": return false
            default: throw Invalid(description: "invalid value for \(name): \(text)")
            }
        }
        func number(_ name: String, minimum: Int) throws(Invalid) -> Int? {
            guard let text = request.value(name) else { return nil }
            guard let value = Int(text), value >= minimum else {
                throw Invalid(description: "\(name) must be an integer >= \(minimum), got \(text)")
            }
            return value
        }
        follow = try flag("follow")
        previous = try flag("previous")
        timestamps = try flag("timestamps")
        tailLines = try number("tailLines", minimum: 0)
        limitBytes = try number("limitBytes", minimum: 1)
        if let seconds = try number("sinceSeconds", minimum: 1) {
            since = now.addingTimeInterval(-Double(seconds))
        } else if let text = request.value("sinceTime") {
            guard let date = KubeTimestamp.date(text) else { throw Invalid(description: "invalid sinceTime \(text)") }
            since = date
        }
    }
}

/// Turns log file bytes into what the client reads: complete records only, partial records joined, each line with
/// its newline and, when asked, its timestamp first (as kubelet does).
public struct ContainerLogFormatter: Sendable {
    let query: LogQuery
    /// Bytes of an incomplete last line, kept for the next chunk.
    private var pending: [UInt8] = []
    private var lineStarted = false

    public init(query: LogQuery) { self.query = query }

    /// The client's bytes for the complete lines in `chunk` (and what was pending).
    public mutating func format(_ chunk: some Sequence<UInt8>) -> [UInt8] {
        pending.append(contentsOf: chunk)
        guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = pending[...lastNewline]
        var out: [UInt8] = []
        for line in String(decoding: complete, as: UTF8.self).split(separator: "\n") {
            guard let record = CRILogRecord(line) else { continue }
            if let since = query.since, record.time < since { continue }
            if query.timestamps, !lineStarted {
                out.append(contentsOf: record.timestamp.utf8)
                out.append(UInt8(ascii: " "))
            }
            out.append(contentsOf: record.message.utf8)
            if record.partial {
                lineStarted = true
            } else {
                out.append(UInt8(ascii: "\n"))
                lineStarted = false
            }
        }
        pending.removeSubrange(...lastNewline)
        return out
    }

    /// The start offset of the last `lines` complete (`F`-ended) lines of a log file's bytes.
    public static func tailOffset(_ bytes: [UInt8], lines: Int) -> Int {
        guard lines > 0 else { return bytes.count }
        var seen = 0
        var index = bytes.count - 1
        // Skip the file's final newline, then count line ends of full records backwards.
        if index >= 0, bytes[index] == UInt8(ascii: "\n") { index -= 1 }
        while index >= 0 {
            if bytes[index] == UInt8(ascii: "\n") {
                if Self.endsFullRecord(bytes, newlineAt: index) {
                    seen += 1
                    if seen == lines { return index + 1 }
                }
            }
            index -= 1
        }
        return 0
    }

    /// Whether the record ending at `newline` is an `F` record.
    private static func endsFullRecord(_ bytes: [UInt8], newlineAt newline: Int) -> Bool {
        var start = newline - 1
        while start >= 0, bytes[start] != UInt8(ascii: "\n") { start -= 1 }
        let line = String(decoding: bytes[(start + 1)..<newline], as: UTF8.self)
        return CRILogRecord(line[...]).map { !$0.partial } ?? true
    }
}
