/// The streams of one tunnel connection, as a state machine that returns actions and does no I/O: the transport
/// (a WebSocket) sends the `.send` frames and feeds every received frame to `receive(_:)`; the endpoints on either
/// side get `.opened`, `.deliver` and `.ended`.
///
/// - The server (`.listener`) opens odd stream IDs, the agent (`.dialer`) even ones, so both may open at once.
/// - Flow control per stream, as HTTP/2's: a sender has `initialWindow` bytes of credit; the receiver grants more with
///   `window` frames once its reader `consumed(_:on:)` half of it. Writes beyond the credit wait inside the mux, and
///   data beyond the credit the mux granted is a protocol error (a peer that ignores flow control cannot fill memory).
/// - A stream ends when both sides closed it (`close` after the pending data has gone out), or at once when either
///   side resets it (its reader went away). Frames that cross a reset — data, closes and credit for a stream this side
///   already forgot — are dropped, as HTTP/2 drops frames on closed streams; only a stream that never existed is an
///   error.
/// - Pings are answered here; liveness timing (a dead link without FIN/RST) belongs to the caller's clock.
public struct TunnelMux: Sendable {
    public enum Side: Sendable { case listener, dialer }

    public enum Action: Sendable, Equatable {
        case send(TunnelFrame)
        /// The peer opened `stream` toward `target`.
        case opened(stream: UInt32, target: String)
        case deliver(stream: UInt32, [UInt8])
        /// The peer will send no more on `stream`.
        case ended(stream: UInt32, reason: String)
        /// Both sides closed `stream`: the mux forgot it.
        case finished(stream: UInt32)
        /// The peer reset `stream`: nothing more will arrive and nothing more can be sent; the mux forgot it.
        case aborted(stream: UInt32, reason: String)
        case pong(UInt64)
        /// The peer broke the protocol: close the connection.
        case fail(TunnelError)
    }

    public static let initialWindow: UInt32 = 256 * 1024
    /// The largest data frame the mux sends.
    public static let maximumFrame = 32 * 1024

    struct Stream: Sendable {
        var sendWindow = TunnelMux.initialWindow
        /// Bytes the peer may still send before it needs a window update.
        var receiveWindow = TunnelMux.initialWindow
        /// Bytes the reader consumed that were not granted back yet.
        var consumed: UInt32 = 0
        var pending: [UInt8] = []
        var localClosed = false
        var closeReason: String?
        var remoteClosed = false
    }

    public let side: Side
    var streams: [UInt32: Stream] = [:]
    var nextID: UInt32
    /// The highest stream number the peer opened.
    var highestPeerID: UInt32 = 0

    public init(side: Side) {
        self.side = side
        nextID = side == .listener ? 1 : 2
    }

    /// Streams open in either direction.
    public var streamCount: Int { streams.count }

    /// Whether this side may still write to `stream`.
    public func isWritable(_ stream: UInt32) -> Bool { streams[stream].map { !$0.localClosed } ?? false }

    /// Bytes written to `stream` that wait for the peer's credit.
    public func pendingBytes(_ stream: UInt32) -> Int { streams[stream]?.pending.count ?? 0 }

    // MARK: Local side

    public mutating func open(target: String) -> (stream: UInt32, actions: [Action]) {
        let id = nextID
        nextID += 2
        streams[id] = Stream()
        return (id, [.send(.open(stream: id, target: target))])
    }

    /// Sends what the credit allows and keeps the rest until the peer grants more. Writing to a stream this side
    /// closed, or that is gone, does nothing.
    public mutating func write(_ bytes: [UInt8], on id: UInt32) -> [Action] {
        guard var stream = streams[id], !stream.localClosed else { return [] }
        stream.pending += bytes
        let actions = flush(&stream, id: id)
        streams[id] = stream
        return actions
    }

    /// The reader of `stream` took `count` bytes: once half a window is consumed it is granted back to the peer.
    public mutating func consumed(_ count: Int, on id: UInt32) -> [Action] {
        guard var stream = streams[id], !stream.remoteClosed else { return [] }
        stream.consumed += UInt32(clamping: count)
        var actions: [Action] = []
        if stream.consumed >= Self.initialWindow / 2 {
            actions.append(.send(.window(stream: id, increment: stream.consumed)))
            stream.receiveWindow += stream.consumed
            stream.consumed = 0
        }
        streams[id] = stream
        return actions
    }

    /// Ends this side of `stream` once its pending data has gone out.
    public mutating func close(_ id: UInt32, reason: String = "") -> [Action] {
        guard var stream = streams[id], !stream.localClosed else { return [] }
        stream.localClosed = true
        stream.closeReason = reason
        let actions = flush(&stream, id: id)
        return actions + settle(stream, id: id)
    }

    /// Abandons `stream` in both directions: pending data is dropped, the peer is told, and the mux forgets it.
    public mutating func reset(_ id: UInt32, reason: String = "") -> [Action] {
        guard streams.removeValue(forKey: id) != nil else { return [] }
        return [.send(.reset(stream: id, reason: reason))]
    }

    public func ping(_ nonce: UInt64) -> [Action] { [.send(.ping(nonce))] }

    // MARK: Peer side

    /// Decodes and handles one received message.
    public mutating func receive(message: [UInt8]) -> [Action] {
        do throws(TunnelError) {
            return receive(try TunnelFrame.decode(message))
        } catch {
            return [.fail(error)]
        }
    }

    public mutating func receive(_ frame: TunnelFrame) -> [Action] {
        switch frame {
        case .open(let id, let target):
            guard id % 2 == (side == .listener ? 0 : 1) else {
                return [.fail(TunnelError("the peer opened stream \(id), whose number belongs to this side"))]
            }
            guard id > highestPeerID else { return [.fail(TunnelError("stream \(id) opened twice or out of order"))] }
            highestPeerID = id
            streams[id] = Stream()
            return [.opened(stream: id, target: target)]
        case .data(let id, let bytes):
            guard var stream = streams[id] else {
                return existed(id) ? [] : [.fail(TunnelError("data on unknown stream \(id)"))]
            }
            guard !stream.remoteClosed else { return [.fail(TunnelError("data on stream \(id) after its close"))] }
            guard bytes.count <= stream.receiveWindow else {
                return [
                    .fail(TunnelError("stream \(id) sent \(bytes.count) bytes with \(stream.receiveWindow) of credit"))
                ]
            }
            stream.receiveWindow -= UInt32(bytes.count)
            streams[id] = stream
            return [.deliver(stream: id, bytes)]
        case .close(let id, let reason):
            guard var stream = streams[id] else {
                return existed(id) ? [] : [.fail(TunnelError("close of unknown stream \(id)"))]
            }
            guard !stream.remoteClosed else { return [.fail(TunnelError("stream \(id) closed twice"))] }
            stream.remoteClosed = true
            streams[id] = stream
            return [.ended(stream: id, reason: reason)] + settle(stream, id: id)
        case .window(let id, let increment):
            // A grant can cross this side's close: a finished stream's late credit is not an error.
            guard var stream = streams[id] else { return [] }
            let (sum, overflow) = stream.sendWindow.addingReportingOverflow(increment)
            guard !overflow else { return [.fail(TunnelError("stream \(id) credit overflows"))] }
            stream.sendWindow = sum
            let actions = flush(&stream, id: id)
            return actions + settle(stream, id: id)
        case .reset(let id, let reason):
            guard streams.removeValue(forKey: id) != nil else {
                return existed(id) ? [] : [.fail(TunnelError("reset of unknown stream \(id)"))]
            }
            return [.aborted(stream: id, reason: reason)]
        case .ping(let nonce):
            return [.send(.pong(nonce))]
        case .pong(let nonce):
            return [.pong(nonce)]
        }
    }

    // MARK: Internals

    /// Whether `id` was a stream once (this side opened it, or the peer did), so a frame for it crossed its end.
    private func existed(_ id: UInt32) -> Bool {
        id % 2 == nextID % 2 ? id < nextID : id <= highestPeerID
    }

    /// Sends pending data within the credit, then the close when this side closed and nothing is left.
    private func flush(_ stream: inout Stream, id: UInt32) -> [Action] {
        var actions: [Action] = []
        while !stream.pending.isEmpty && stream.sendWindow > 0 {
            let count = min(stream.pending.count, Int(stream.sendWindow), Self.maximumFrame)
            actions.append(.send(.data(stream: id, Array(stream.pending.prefix(count)))))
            stream.pending.removeFirst(count)
            stream.sendWindow -= UInt32(count)
        }
        if stream.localClosed, stream.pending.isEmpty, let reason = stream.closeReason {
            actions.append(.send(.close(stream: id, reason: reason)))
            stream.closeReason = nil
        }
        return actions
    }

    /// Stores `stream`, or forgets it once both sides closed and its close went out.
    private mutating func settle(_ stream: Stream, id: UInt32) -> [Action] {
        if stream.localClosed, stream.closeReason == nil, stream.remoteClosed {
            streams[id] = nil
            return [.finished(stream: id)]
        }
        streams[id] = stream
        return []
    }
}
