import Testing

@testable import SkiffTunnel

/// Two muxes joined back to back: every `.send` goes through the codec to the other side, the way the WebSocket will
/// carry it; what each endpoint is handed is recorded.
struct Pair {
    var server = TunnelMux(side: .listener)
    var agent = TunnelMux(side: .dialer)
    var atServer: [TunnelMux.Action] = []
    var atAgent: [TunnelMux.Action] = []
    /// Frames in flight, not yet delivered: (to the agent?, message).
    var wire: [(toAgent: Bool, message: [UInt8])] = []

    mutating func fromServer(_ actions: [TunnelMux.Action]) { route(actions, toAgent: true) }
    mutating func fromAgent(_ actions: [TunnelMux.Action]) { route(actions, toAgent: false) }

    private mutating func route(_ actions: [TunnelMux.Action], toAgent: Bool) {
        for action in actions {
            if case .send(let frame) = action {
                wire.append((toAgent, frame.encoded()))
            } else if toAgent {
                atServer.append(action)
            } else {
                atAgent.append(action)
            }
        }
    }

    /// Delivers everything in flight (and what that sends back) until the wire is quiet.
    mutating func settle() {
        while !wire.isEmpty {
            let (toAgent, message) = wire.removeFirst()
            if toAgent {
                fromAgent(agent.receive(message: message))
            } else {
                fromServer(server.receive(message: message))
            }
        }
    }

    func delivered(_ actions: [TunnelMux.Action], on stream: UInt32) -> [UInt8] {
        actions.flatMap { action -> [UInt8] in
            if case .deliver(stream, let bytes) = action { return bytes }
            return []
        }
    }
}

struct TunnelMuxTests {
    @Test func theServerOpensOddStreamsAndTheAgentEvenOnesBothWays() {
        var pair = Pair()
        let (first, open1) = pair.server.open(target: "GET /containerLogs/default/web/app")
        let (second, open2) = pair.server.open(target: "POST /exec/default/web/app")
        let (third, open3) = pair.agent.open(target: "ping")
        #expect([first, second, third] == [1, 3, 2])
        pair.fromServer(open1 + open2)
        pair.fromAgent(open3)
        pair.settle()
        #expect(
            pair.atAgent == [
                .opened(stream: 1, target: "GET /containerLogs/default/web/app"),
                .opened(stream: 3, target: "POST /exec/default/web/app"),
            ])
        #expect(pair.atServer == [.opened(stream: 2, target: "ping")])
    }

    @Test func aPeerThatOpensThisSidesNumbersOrTwiceBreaksTheProtocol() {
        var agent = TunnelMux(side: .dialer)
        #expect(
            agent.receive(.open(stream: 2, target: "x")) == [
                .fail(TunnelError("the peer opened stream 2, whose number belongs to this side"))
            ])
        #expect(agent.receive(.open(stream: 1, target: "x")) == [.opened(stream: 1, target: "x")])
        #expect(
            agent.receive(.open(stream: 1, target: "x")) == [
                .fail(TunnelError("stream 1 opened twice or out of order"))
            ])
        #expect(agent.receive(.data(stream: 5, [1])) == [.fail(TunnelError("data on unknown stream 5"))])
    }

    /// A megabyte through a 256 KiB window: the sender stops at its credit, the reader's consumption grants more, and
    /// every byte arrives once, in order.
    @Test func flowControlCarriesMoreThanAWindowInOrder() {
        var pair = Pair()
        let (id, open) = pair.server.open(target: "stream")
        pair.fromServer(open)
        let payload = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        pair.fromServer(pair.server.write(payload, on: id))
        #expect(pair.server.pendingBytes(id) == payload.count - Int(TunnelMux.initialWindow))
        #expect(pair.wire.allSatisfy { $0.message.count <= TunnelMux.maximumFrame + 5 })
        var received: [UInt8] = []
        var rounds = 0
        while received.count < payload.count && rounds < 100 {
            rounds += 1
            pair.settle()
            let chunk = pair.delivered(pair.atAgent, on: id)
            pair.atAgent.removeAll()
            received += chunk
            pair.fromAgent(pair.agent.consumed(chunk.count, on: id))
        }
        #expect(received == payload)
        #expect(pair.server.pendingBytes(id) == 0)
    }

    @Test func dataBeyondTheGrantedCreditBreaksTheProtocol() {
        var agent = TunnelMux(side: .dialer)
        _ = agent.receive(.open(stream: 1, target: "x"))
        let window = Int(TunnelMux.initialWindow)
        #expect(agent.receive(.data(stream: 1, [UInt8](repeating: 0, count: window - 10))).count == 1)
        #expect(
            agent.receive(.data(stream: 1, [UInt8](repeating: 0, count: 11))) == [
                .fail(TunnelError("stream 1 sent 11 bytes with 10 of credit"))
            ])
    }

    @Test func theReaderGrantsCreditOnlyAfterHalfAWindow() {
        var agent = TunnelMux(side: .dialer)
        _ = agent.receive(.open(stream: 1, target: "x"))
        let half = Int(TunnelMux.initialWindow / 2)
        #expect(agent.consumed(half - 1, on: 1) == [])
        #expect(agent.consumed(1, on: 1) == [.send(.window(stream: 1, increment: UInt32(half)))])
    }

    /// A close waits for the data before it, and a stream is forgotten once both sides closed.
    @Test func closeFollowsThePendingDataAndBothClosesFinishTheStream() {
        var pair = Pair()
        let (id, open) = pair.server.open(target: "x")
        pair.fromServer(open)
        let big = [UInt8](repeating: 7, count: Int(TunnelMux.initialWindow) + 100)
        pair.fromServer(pair.server.write(big, on: id))
        pair.fromServer(pair.server.close(id, reason: "done"))
        pair.settle()
        #expect(!pair.atAgent.contains(.ended(stream: id, reason: "done")), "the close waits behind 100 bytes of data")
        pair.fromAgent(pair.agent.consumed(pair.delivered(pair.atAgent, on: id).count, on: id))
        pair.settle()
        #expect(pair.delivered(pair.atAgent, on: id).count == big.count)
        #expect(pair.atAgent.last == .ended(stream: id, reason: "done"))
        #expect(pair.server.write([1], on: id) == [], "nothing is written after this side's close")
        pair.fromAgent(pair.agent.close(id))
        pair.settle()
        #expect(pair.atAgent.last == .finished(stream: id))
        #expect(pair.atServer.suffix(2) == [.ended(stream: id, reason: ""), .finished(stream: id)])
        #expect(pair.server.streamCount == 0 && pair.agent.streamCount == 0)
        // Late credit for a finished stream is no error.
        #expect(pair.server.receive(.window(stream: id, increment: 10)) == [])
    }

    /// A reader that goes away resets its stream: the peer is told at once, pending data is dropped on both sides,
    /// and what was already in flight toward the resetting side is dropped there instead of breaking the connection.
    @Test func aResetEndsAStreamAtOnceAndFramesCrossingItAreDropped() {
        var pair = Pair()
        let (id, open) = pair.server.open(target: "kubelet GET /containerLogs/a/b/c?follow=true")
        pair.fromServer(open)
        pair.settle()
        // Beyond the window: some waits.
        pair.fromAgent(pair.agent.write(Array(repeating: 7, count: Int(TunnelMux.initialWindow) + 50_000), on: id))
        #expect(pair.agent.pendingBytes(id) > 0)
        let inFlight = pair.wire.count
        pair.fromServer(pair.server.reset(id, reason: "the reader went away"))
        #expect(pair.server.streamCount == 0)
        pair.settle()
        #expect(pair.atAgent.contains(.aborted(stream: id, reason: "the reader went away")))
        #expect(pair.agent.streamCount == 0)
        #expect(pair.agent.pendingBytes(id) == 0)
        #expect(
            !pair.atServer.contains { if case .fail = $0 { true } else { false } },
            "\(inFlight) data frames crossed the reset")
        #expect(pair.agent.write([1], on: id).isEmpty, "nothing more is sent on a reset stream")
        // A stream that never existed is still an error.
        #expect(pair.server.receive(.data(stream: 9, [1])) == [.fail(TunnelError("data on unknown stream 9"))])
        #expect(
            pair.server.receive(.reset(stream: 99, reason: "")) == [.fail(TunnelError("reset of unknown stream 99"))])
    }

    @Test func pingsAreAnsweredAndPongsReported() {
        var pair = Pair()
        pair.fromServer(pair.server.ping(42))
        pair.settle()
        #expect(pair.atServer == [.pong(42)])
        var mux = TunnelMux(side: .listener)
        #expect(mux.receive(message: [9]) == [.fail(TunnelError("frame of 1 bytes, shorter than its 5-byte header"))])
    }
}
