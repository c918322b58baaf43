import Synchronization

/// One tunnel connection's streams over any message transport: the `TunnelMux` state machine behind a lock, with
/// async readers and writers for its streams. The transport (a WebSocket, or an in-process pair) carries
/// `outboundMessages` to the peer and feeds what the peer sent to `run(inbound:)`; `serve` does both.
///
/// - A stream's reader grants credit back as it consumes, so a slow reader slows its writer across the link; a writer
///   returns once its bytes went out within the peer's credit.
/// - A reader that goes away (its task cancelled, its stream dropped) resets the stream, so the peer stops producing.
/// - When the transport ends or the peer breaks the protocol, every stream fails with `TunnelStreamError`.
public final class TunnelSession: Sendable {
    struct State {
        var mux: TunnelMux
        var readers: [UInt32: AsyncThrowingStream<[UInt8], any Error>.Continuation] = [:]
        /// Writers waiting for the peer's credit, by stream.
        var writers: [UInt32: CheckedContinuation<Void, any Error>] = [:]
        /// Why the session ended, once it has.
        var ended: TunnelStreamError?
    }

    private let state: Mutex<State>
    private let outbound: AsyncStream<[UInt8]>.Continuation
    /// The encoded frames to send to the peer, in order; finishes when the session ends.
    public let outboundMessages: AsyncStream<[UInt8]>
    private let incoming: AsyncStream<TunnelStream>.Continuation
    /// The streams the peer opens; finishes when the session ends.
    public let incomingStreams: AsyncStream<TunnelStream>

    public let side: TunnelMux.Side

    public init(side: TunnelMux.Side) {
        self.side = side
        state = Mutex(State(mux: TunnelMux(side: side)))
        (outboundMessages, outbound) = AsyncStream.makeStream()
        (incomingStreams, incoming) = AsyncStream.makeStream()
    }

    /// Whether the session has ended.
    public var hasEnded: Bool { state.withLock { $0.ended != nil } }

    /// Streams open in either direction.
    public var streamCount: Int { state.withLock { $0.mux.streamCount } }

    // MARK: Running over a transport

    /// Runs the session until the transport ends or fails: frames from `outboundMessages` go out through `write`,
    /// `inbound` is fed to the mux, and every stream the peer opens is handed to `accept` in a task of its own, which
    /// is cancelled when the session ends.
    public func serve<Inbound: AsyncSequence & Sendable>(
        inbound: Inbound, write: @escaping @Sendable ([UInt8]) async throws -> Void,
        accept: @escaping @Sendable (TunnelStream) async -> Void
    ) async throws where Inbound.Element == [UInt8] {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await message in self.outboundMessages { try await write(message) }
            }
            group.addTask { try await self.run(inbound: inbound) }
            for await stream in incomingStreams {
                group.addTask { await accept(stream) }
            }
            group.cancelAll()
        }
    }

    /// Feeds every message of `inbound` to the mux; when it ends, or the peer breaks the protocol, the session ends.
    public func run<Inbound: AsyncSequence>(inbound: Inbound) async throws where Inbound.Element == [UInt8] {
        do {
            for try await message in inbound {
                try receive(message)
            }
            end(TunnelStreamError("the tunnel closed"))
        } catch let error as TunnelError {
            end(TunnelStreamError(error.description))
            throw error
        } catch {
            end(TunnelStreamError("the tunnel failed: \(error)"))
            throw error
        }
    }

    /// Handles one message from the peer; a protocol violation ends the session.
    public func receive(_ message: [UInt8]) throws(TunnelError) {
        let failure = state.withLock { state -> TunnelError? in
            let actions = state.mux.receive(message: message)
            return perform(actions, &state)
        }
        if let failure {
            end(TunnelStreamError(failure.description))
            throw failure
        }
    }

    /// Ends the session: every stream fails with `reason`, and no more frames go out.
    public func end(_ reason: TunnelStreamError) {
        let (readers, writers) = state.withLock { state in
            if state.ended == nil { state.ended = reason }
            defer {
                state.readers.removeAll()
                state.writers.removeAll()
            }
            return (Array(state.readers.values), Array(state.writers.values))
        }
        for reader in readers { reader.finish(throwing: reason) }
        for writer in writers { writer.resume(throwing: reason) }
        outbound.finish()
        incoming.finish()
    }

    // MARK: Streams

    /// Opens a stream toward `target`; fails once the session has ended.
    public func open(target: String) throws(TunnelStreamError) -> TunnelStream {
        let result = state.withLock { state -> Result<TunnelStream, TunnelStreamError> in
            if let ended = state.ended { return .failure(ended) }
            let (id, actions) = state.mux.open(target: target)
            let stream = makeStream(id: id, target: target, &state)
            _ = perform(actions, &state)
            return .success(stream)
        }
        return try result.get()
    }

    func write(_ bytes: [UInt8], on id: UInt32) async throws {
        try state.withLock { state throws(TunnelStreamError) in
            if let ended = state.ended { throw ended }
            guard state.mux.isWritable(id) else { throw TunnelStreamError("stream \(id) is closed") }
            _ = perform(state.mux.write(bytes, on: id), &state)
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Bool, TunnelStreamError> in
                    if let ended = state.ended { return .failure(ended) }
                    if state.mux.pendingBytes(id) == 0 { return .success(true) }
                    state.writers[id] = continuation
                    return .success(false)
                }
                switch ready {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { $0.writers.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    func close(_ id: UInt32, reason: String) {
        state.withLock { state in
            _ = perform(state.mux.close(id, reason: reason), &state)
        }
    }

    func reset(_ id: UInt32, reason: String) {
        let (reader, writer) = state.withLock { state in
            _ = perform(state.mux.reset(id, reason: reason), &state)
            return (state.readers.removeValue(forKey: id), state.writers.removeValue(forKey: id))
        }
        reader?.finish(throwing: TunnelStreamError("stream \(id) was reset: \(reason)"))
        writer?.resume(throwing: TunnelStreamError("stream \(id) was reset: \(reason)"))
    }

    func consumed(_ count: Int, on id: UInt32) {
        state.withLock { state in
            _ = perform(state.mux.consumed(count, on: id), &state)
        }
    }

    // MARK: Internals

    private func makeStream(id: UInt32, target: String, _ state: inout State) -> TunnelStream {
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.reset(id, reason: "the reader went away") }
        }
        state.readers[id] = continuation
        return TunnelStream(id: id, target: target, session: self, chunks: chunks)
    }

    /// Carries out the mux's actions; returns the protocol failure, if one is among them.
    private func perform(_ actions: [TunnelMux.Action], _ state: inout State) -> TunnelError? {
        for action in actions {
            switch action {
            case .send(let frame):
                outbound.yield(frame.encoded())
            case .opened(let id, let target):
                incoming.yield(makeStream(id: id, target: target, &state))
            case .deliver(let id, let bytes):
                state.readers[id]?.yield(bytes)
            case .ended(let id, let reason):
                let reader = state.readers.removeValue(forKey: id)
                if reason.isEmpty {
                    reader?.finish()
                } else {
                    reader?.finish(throwing: TunnelStreamError(reason))
                }
            case .finished(let id):
                state.readers.removeValue(forKey: id)?.finish()
                state.writers.removeValue(forKey: id)?.resume()
            case .aborted(let id, let reason):
                let error = TunnelStreamError("the peer reset stream \(id): \(reason)")
                state.readers.removeValue(forKey: id)?.finish(throwing: error)
                state.writers.removeValue(forKey: id)?.resume(throwing: error)
            case .pong:
                break
            case .fail(let error):
                return error
            }
        }
        // Writers whose data all went out within the credit may go on.
        for (id, writer) in state.writers where state.mux.pendingBytes(id) == 0 {
            state.writers[id] = nil
            writer.resume()
        }
        return nil
    }
}

/// One stream of a `TunnelSession`: an async sequence of the chunks the peer sent (each one read grants credit back),
/// and writes, close and reset toward the peer.
public struct TunnelStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public let id: UInt32
    /// What the opener asked for.
    public let target: String
    let session: TunnelSession
    let chunks: AsyncThrowingStream<[UInt8], any Error>

    /// Returns once `bytes` went out within the peer's credit; throws if the stream or the session ended.
    public func write(_ bytes: [UInt8]) async throws {
        try await session.write(bytes, on: id)
    }

    /// This side sends no more; the peer may still.
    public func close(reason: String = "") {
        session.close(id, reason: reason)
    }

    /// Abandons the stream in both directions.
    public func reset(reason: String = "") {
        session.reset(id, reason: reason)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let session: TunnelSession
        let id: UInt32

        public mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            session.consumed(chunk.count, on: id)
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: chunks.makeAsyncIterator(), session: session, id: id)
    }
}

/// A stream could not go on: the peer reset it, or the tunnel under it ended.
public struct TunnelStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A transport in memory, for two sessions in one process (the server's own agent, tests): two queues of messages
/// crossing. Each side calls `serve` with its session; when one side ends, the other's inbound ends too.
public struct LoopbackTunnel: Sendable {
    private let toListener: (stream: AsyncStream<[UInt8]>, continuation: AsyncStream<[UInt8]>.Continuation)
    private let toDialer: (stream: AsyncStream<[UInt8]>, continuation: AsyncStream<[UInt8]>.Continuation)

    public init() {
        toListener = AsyncStream.makeStream()
        toDialer = AsyncStream.makeStream()
    }

    public func serve(_ session: TunnelSession, accept: @escaping @Sendable (TunnelStream) async -> Void) async throws {
        let (inbound, outbound) =
            session.side == .listener
            ? (toListener.stream, toDialer.continuation) : (toDialer.stream, toListener.continuation)
        defer { outbound.finish() }
        try await session.serve(inbound: inbound, write: { outbound.yield($0) }, accept: accept)
    }
}
