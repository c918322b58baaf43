/// One frame of the reverse tunnel. Each frame travels as one binary WebSocket message, so the message boundary is the
/// frame boundary: `[kind: UInt8][stream: UInt32 big-endian][body]`. Stream 0 is the connection itself (pings).
public enum TunnelFrame: Sendable, Equatable {
    /// Opens `stream` toward `target` (what the opener wants reached, e.g. a kubelet API request line).
    case open(stream: UInt32, target: String)
    case data(stream: UInt32, [UInt8])
    /// The sender will send no more on `stream`; `reason` is empty for a normal end.
    case close(stream: UInt32, reason: String)
    /// The receiver of `stream` lets the sender send `increment` more bytes.
    case window(stream: UInt32, increment: UInt32)
    /// The sender abandons `stream` in both directions (its reader went away); `reason` says why.
    case reset(stream: UInt32, reason: String)
    case ping(UInt64)
    case pong(UInt64)

    enum Kind: UInt8 {
        case open = 1, data, close, window, ping, pong, reset
    }

    public var stream: UInt32 {
        switch self {
        case .open(let stream, _), .data(let stream, _), .close(let stream, _), .window(let stream, _),
            .reset(let stream, _):
            stream
        case .ping, .pong: 0
        }
    }

    public func encoded() -> [UInt8] {
        func header(_ kind: Kind, _ stream: UInt32) -> [UInt8] { [kind.rawValue] + Self.bytes(of: stream) }
        switch self {
        case .open(let stream, let target): return header(.open, stream) + Array(target.utf8)
        case .data(let stream, let bytes): return header(.data, stream) + bytes
        case .close(let stream, let reason): return header(.close, stream) + Array(reason.utf8)
        case .window(let stream, let increment): return header(.window, stream) + Self.bytes(of: increment)
        case .reset(let stream, let reason): return header(.reset, stream) + Array(reason.utf8)
        case .ping(let nonce): return header(.ping, 0) + Self.bytes(of: nonce)
        case .pong(let nonce): return header(.pong, 0) + Self.bytes(of: nonce)
        }
    }

    /// Decodes one message; a malformed one is a `TunnelError` naming what is wrong.
    public static func decode(_ message: [UInt8]) throws(TunnelError) -> TunnelFrame {
        guard message.count >= 5 else {
            throw TunnelError("frame of \(message.count) bytes, shorter than its 5-byte header")
        }
        guard let kind = Kind(rawValue: message[0]) else { throw TunnelError("unknown frame kind \(message[0])") }
        let stream = integer(message[1..<5], as: UInt32.self)
        let body = message[5...]
        switch kind {
        case .open, .data, .close, .window, .reset:
            guard stream != 0 else { throw TunnelError("\(kind) frame on stream 0") }
        case .ping, .pong:
            guard stream == 0 else { throw TunnelError("\(kind) frame on stream \(stream), not 0") }
        }
        switch kind {
        case .open:
            guard let target = String(validating: body, as: UTF8.self) else {
                throw TunnelError("open target is not UTF-8")
            }
            return .open(stream: stream, target: target)
        case .data:
            return .data(stream: stream, Array(body))
        case .close:
            guard let reason = String(validating: body, as: UTF8.self) else {
                throw TunnelError("close reason is not UTF-8")
            }
            return .close(stream: stream, reason: reason)
        case .reset:
            guard let reason = String(validating: body, as: UTF8.self) else {
                throw TunnelError("reset reason is not UTF-8")
            }
            return .reset(stream: stream, reason: reason)
        case .window:
            guard body.count == 4 else { throw TunnelError("window frame body of \(body.count) bytes, not 4") }
            return .window(stream: stream, increment: integer(body, as: UInt32.self))
        case .ping, .pong:
            guard body.count == 8 else { throw TunnelError("\(kind) frame body of \(body.count) bytes, not 8") }
            let nonce = integer(body, as: UInt64.self)
            return kind == .ping ? .ping(nonce) : .pong(nonce)
        }
    }

    static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func integer<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
        bytes.reduce(T.zero) { $0 << 8 | T($1) }
    }
}

/// A protocol violation by the peer: the connection cannot continue.
public struct TunnelError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "tunnel protocol error: \(message)" }
}
