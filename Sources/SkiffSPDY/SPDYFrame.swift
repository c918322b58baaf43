/// SPDY/3.1 frames (draft 3.1), as kubelet's streaming protocols use them: `kubectl port-forward` tunnels a SPDY byte
/// stream inside its WebSocket, and containerd's streaming server takes SPDY for exec, attach and port-forward.
public enum SPDYFrame: Sendable, Equatable {
    case synStream(stream: UInt32, associated: UInt32 = 0, fin: Bool = false, headers: [SPDYHeader])
    case synReply(stream: UInt32, fin: Bool = false, headers: [SPDYHeader])
    case rstStream(stream: UInt32, status: UInt32)
    case settings([SPDYSetting])
    case ping(UInt32)
    case goAway(lastGoodStream: UInt32, status: UInt32)
    case headers(stream: UInt32, fin: Bool = false, headers: [SPDYHeader])
    case windowUpdate(stream: UInt32, delta: UInt32)
    case data(stream: UInt32, fin: Bool = false, [UInt8])

    enum Kind: UInt16 {
        case synStream = 1, synReply = 2, rstStream = 3, settings = 4, ping = 6, goAway = 7, headers = 8,
            windowUpdate = 9
    }

    /// RST_STREAM status codes used here.
    public static let protocolError: UInt32 = 1
    public static let cancel: UInt32 = 5
}

public struct SPDYHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public struct SPDYSetting: Sendable, Equatable {
    public var flags: UInt8
    public var id: UInt32
    public var value: UInt32

    public init(flags: UInt8 = 0, id: UInt32, value: UInt32) {
        self.flags = flags
        self.id = id
        self.value = value
    }
}

/// The peer broke SPDY: the connection cannot continue.
public struct SPDYError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "SPDY: \(message)" }
}

/// One side of a SPDY connection's framing: encodes frames and decodes the byte stream back into frames, with the
/// connection's two header compression contexts (one per direction, each a zlib stream across all its frames).
public final class SPDYFramer {
    private let deflater: SPDYHeaderDeflater
    private let inflater: SPDYHeaderInflater
    private var buffer: [UInt8] = []
    /// The largest frame payload accepted (SPDY's own limit is 2^24 - 1).
    public static let maximumPayload = (1 << 24) - 1

    public init() throws(SPDYError) {
        deflater = try SPDYHeaderDeflater()
        inflater = try SPDYHeaderInflater()
    }

    // MARK: Encoding

    public func encode(_ frame: SPDYFrame) -> [UInt8] {
        switch frame {
        case .synStream(let stream, let associated, let fin, let headers):
            return Self.control(
                .synStream, flags: fin ? 1 : 0, Self.u32(stream) + Self.u32(associated) + [0, 0] + block(headers))
        case .synReply(let stream, let fin, let headers):
            return Self.control(.synReply, flags: fin ? 1 : 0, Self.u32(stream) + block(headers))
        case .headers(let stream, let fin, let headers):
            return Self.control(.headers, flags: fin ? 1 : 0, Self.u32(stream) + block(headers))
        default:
            return Self.encode(withoutHeaders: frame) ?? []
        }
    }

    /// Frames without a header block (data, ping, reset, …) need no compression context: any task may encode them.
    /// Nil for the frames that carry headers.
    public static func encode(withoutHeaders frame: SPDYFrame) -> [UInt8]? {
        switch frame {
        case .synStream, .synReply, .headers:
            return nil
        case .rstStream(let stream, let status):
            return control(.rstStream, flags: 0, u32(stream) + u32(status))
        case .settings(let settings):
            let entries = settings.flatMap { [$0.flags] + Array(u32($0.id).dropFirst()) + u32($0.value) }
            return control(.settings, flags: 0, u32(UInt32(settings.count)) + entries)
        case .ping(let id):
            return control(.ping, flags: 0, u32(id))
        case .goAway(let last, let status):
            return control(.goAway, flags: 0, u32(last) + u32(status))
        case .windowUpdate(let stream, let delta):
            return control(.windowUpdate, flags: 0, u32(stream) + u32(delta))
        case .data(let stream, let fin, let bytes):
            return u32(stream & 0x7fff_ffff) + [fin ? 1 : 0] + Array(u32(UInt32(bytes.count)).dropFirst()) + bytes
        }
    }

    private static func control(_ kind: SPDYFrame.Kind, flags: UInt8, _ body: [UInt8]) -> [UInt8] {
        [0x80, 3, UInt8(kind.rawValue >> 8), UInt8(truncatingIfNeeded: kind.rawValue), flags]
            + Array(u32(UInt32(body.count)).dropFirst()) + body
    }

    /// A header block: the count, then each name and value length-prefixed; compressed on the connection's context.
    private func block(_ headers: [SPDYHeader]) -> [UInt8] {
        var plain = Self.u32(UInt32(headers.count))
        for header in headers {
            let name = Array(header.name.lowercased().utf8)
            let value = Array(header.value.utf8)
            plain += Self.u32(UInt32(name.count)) + name + Self.u32(UInt32(value.count)) + value
        }
        return deflater.compress(plain)
    }

    private static func u32(_ value: UInt32) -> [UInt8] {
        [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
    }

    // MARK: Decoding

    /// The frames completed by `bytes`, across any split of the stream. A broken frame is an `SPDYError`.
    public func feed(_ bytes: some Collection<UInt8>) throws(SPDYError) -> [SPDYFrame] {
        buffer += bytes
        var frames: [SPDYFrame] = []
        var offset = 0
        while buffer.count - offset >= 8 {
            let length = Int(buffer[offset + 5]) << 16 | Int(buffer[offset + 6]) << 8 | Int(buffer[offset + 7])
            guard buffer.count - offset - 8 >= length else { break }
            let header = Array(buffer[offset..<(offset + 8)])
            let body = Array(buffer[(offset + 8)..<(offset + 8 + length)])
            offset += 8 + length
            if let frame = try decode(header: header, body: body) { frames.append(frame) }
        }
        buffer.removeFirst(offset)
        return frames
    }

    private func decode(header: [UInt8], body: [UInt8]) throws(SPDYError) -> SPDYFrame? {
        let flags = header[4]
        let fin = flags & 1 != 0
        guard header[0] & 0x80 != 0 else {
            return .data(stream: read32(header, 0) & 0x7fff_ffff, fin: fin, body)
        }
        let version = UInt16(header[0] & 0x7f) << 8 | UInt16(header[1])
        guard version == 3 else { throw SPDYError("control frame of version \(version), not 3") }
        let type = UInt16(header[2]) << 8 | UInt16(header[3])
        func need(_ count: Int) throws(SPDYError) {
            guard body.count >= count else {
                throw SPDYError("control frame \(type) of \(body.count) bytes is too short")
            }
        }
        switch SPDYFrame.Kind(rawValue: type) {
        case .synStream:
            try need(10)
            return .synStream(
                stream: read32(body, 0) & 0x7fff_ffff, associated: read32(body, 4) & 0x7fff_ffff, fin: fin,
                headers: try headers(Array(body[10...])))
        case .synReply:
            try need(4)
            return .synReply(stream: read32(body, 0) & 0x7fff_ffff, fin: fin, headers: try headers(Array(body[4...])))
        case .rstStream:
            try need(8)
            return .rstStream(stream: read32(body, 0) & 0x7fff_ffff, status: read32(body, 4))
        case .settings:
            try need(4)
            let count = Int(read32(body, 0))
            guard body.count >= 4 + count * 8 else {
                throw SPDYError("SETTINGS with \(count) entries in \(body.count) bytes")
            }
            return .settings(
                (0..<count).map { index in
                    let at = 4 + index * 8
                    return SPDYSetting(flags: body[at], id: read32(body, at) & 0xff_ffff, value: read32(body, at + 4))
                })
        case .ping:
            try need(4)
            return .ping(read32(body, 0))
        case .goAway:
            try need(8)
            return .goAway(lastGoodStream: read32(body, 0) & 0x7fff_ffff, status: read32(body, 4))
        case .headers:
            try need(4)
            return .headers(stream: read32(body, 0) & 0x7fff_ffff, fin: fin, headers: try headers(Array(body[4...])))
        case .windowUpdate:
            try need(8)
            return .windowUpdate(stream: read32(body, 0) & 0x7fff_ffff, delta: read32(body, 4) & 0x7fff_ffff)
        case nil:
            return nil  // unknown control frames are ignored, as the spec says
        }
    }

    private func headers(_ compressed: [UInt8]) throws(SPDYError) -> [SPDYHeader] {
        let plain = try inflater.decompress(compressed)
        guard plain.count >= 4 else { throw SPDYError("header block of \(plain.count) bytes") }
        var headers: [SPDYHeader] = []
        var at = 4
        func string() throws(SPDYError) -> String {
            guard plain.count >= at + 4 else { throw SPDYError("header block ends inside a length") }
            let length = Int(read32(plain, at))
            at += 4
            guard plain.count >= at + length else { throw SPDYError("header block ends inside a string") }
            defer { at += length }
            return String(decoding: plain[at..<(at + length)], as: UTF8.self)
        }
        for _ in 0..<Int(read32(plain, 0)) {
            let name = try string()
            let value = try string()
            headers.append(SPDYHeader(name, value))
        }
        return headers
    }

    private func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}
