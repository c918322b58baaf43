import SkiffModel

/// Splits a watch response body (newline-delimited JSON, arriving in arbitrary chunks) into events. Pure: the HTTP
/// client feeds it buffers and hands out what it returns.
public struct WatchEventDecoder: Sendable {
    /// What one line of a watch stream says.
    public enum Line: Sendable {
        case event(ClusterEvent)
        /// A `BOOKMARK` (only a resourceVersion); nothing changed.
        case bookmark(resourceVersion: String)
        /// An `ERROR` event: the watch is over (410 when the requested version is gone).
        case error(APIError)
    }

    /// A line longer than this is refused rather than buffered without end.
    public static let maxLineBytes = 16 << 20

    private var pending: [UInt8] = []

    public init() {}

    /// Feeds a chunk of the body and returns the lines it completed, in order.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws(APIError) -> [Line] {
        pending.append(contentsOf: chunk)
        var lines: [Line] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[start..<newline]
            start = newline + 1
            if line.allSatisfy(Self.isSpace) { continue }
            lines.append(try Self.decode(line))
        }
        pending.removeSubrange(..<start)
        if pending.count > Self.maxLineBytes {
            throw APIError(
                code: 500, reason: "InternalError",
                message: "watch event exceeds \(Self.maxLineBytes) bytes without a line end")
        }
        return lines
    }

    /// The body ended: a last line without a newline still counts.
    public mutating func finish() throws(APIError) -> Line? {
        defer { pending = [] }
        guard !pending.allSatisfy(Self.isSpace) else { return nil }
        return try Self.decode(pending[...])
    }

    /// Decodes one `{"type":…,"object":…}` line.
    public static func decode(_ line: ArraySlice<UInt8>) throws(APIError) -> Line {
        let event: JSON
        do {
            event = try JSONParser().parse(line).value
        } catch {
            throw malformed("not JSON (\(error))")
        }
        let object = event["object"]
        guard let type = event["type"].stringValue else { throw malformed("no \"type\"") }
        switch type {
        case "ERROR":
            return .error(APIError(status: object, httpStatus: 500))
        case "BOOKMARK":
            return .bookmark(resourceVersion: object["metadata"]["resourceVersion"].stringValue ?? "")
        default:
            guard let kind = ClusterEvent.Kind(rawValue: type) else { throw malformed("unknown type \"\(type)\"") }
            guard case .object = object else { throw malformed("\(type) event without an object") }
            return .event(ClusterEvent(kind: kind, object: object))
        }
    }

    private static func malformed(_ why: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "malformed watch event: \(why)")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: "\n")
    }
}
