import Testing

@testable import SkiffAPIServer

/// The API server's HTTP/1.1 connection decisions, without a channel.
@Suite struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine

    @Test func keepAliveResponsesLeaveTheConnectionOpen() {
        var machine = Machine()
        for _ in 0..<3 {
            machine.receivedHead(keepAlive: true)
            #expect(machine.receivedRequest() == .queue)
            #expect(machine.writingHead(saysClose: false) == .write)
            #expect(machine.writingBody() == .write)
            #expect(machine.writingEnd() == .write)
        }
        #expect(machine.isOpen)
    }

    /// An upgrade request (exec, the tunnel) that is answered 101 switches the connection: its end is written, HTTP
    /// is over, and quiescing leaves the WebSocket to its own close.
    @Test func a101SwitchesTheConnectionAndEndsHTTP() {
        var machine = Machine()
        machine.receivedHead(keepAlive: false)  // an upgrade request: closes unless it switches
        #expect(machine.receivedRequest() == .queue)
        #expect(machine.writingHead(saysClose: false, switchingProtocols: true) == .write)
        #expect(machine.writingEnd() == .write, "the 101 is not the last response before a close")
        #expect(machine.quiesce() == .none)
        let first = machine.switched()
        let second = machine.switched()
        #expect(first)
        #expect(!second, "switches once")
        #expect(machine.writingHead(saysClose: false) == .fail, "no HTTP after the switch")
    }

    /// An upgrade request refused with an error closes after it (NIO's decoder parses nothing after it), and a 101
    /// is refused while another response is owed.
    @Test func anUpgradeAnsweredWithAnErrorClosesAndA101NeedsTheConnectionToItself() {
        var machine = Machine()
        machine.receivedHead(keepAlive: false)
        #expect(machine.writingHead(saysClose: false) == .writeSayingClose)
        #expect(machine.writingEnd() == .writeThenClose)
        let switched = machine.switched()
        #expect(!switched)

        var pipelined = Machine()
        pipelined.receivedHead(keepAlive: true)
        pipelined.receivedHead(keepAlive: false)
        #expect(pipelined.writingHead(saysClose: false, switchingProtocols: true) == .fail)
    }

    @Test func aRequestAskingToCloseGetsItsAnswerSayingSoThenTheClose() {
        var machine = Machine()
        machine.receivedHead(keepAlive: false)
        #expect(machine.receivedRequest() == .queue)
        #expect(machine.writingHead(saysClose: false) == .writeSayingClose)
        #expect(machine.writingEnd() == .writeThenClose)
        #expect(!machine.isOpen)
        #expect(machine.writingHead(saysClose: false) == .fail)
        machine.receivedHead(keepAlive: true)
        #expect(machine.receivedRequest() == .drop)
    }

    @Test func pipelinedRequestsAreAllAnsweredBeforeAClose() {
        var machine = Machine()
        machine.receivedHead(keepAlive: true)
        machine.receivedHead(keepAlive: false)
        #expect(machine.writingHead(saysClose: false) == .write, "not the last response yet")
        #expect(machine.writingEnd() == .write)
        #expect(machine.writingHead(saysClose: false) == .writeSayingClose)
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test func aResponseSayingCloseClosesOnceItEnds() {
        var machine = Machine()
        machine.receivedHead(keepAlive: true)
        #expect(machine.writingHead(saysClose: true) == .write)
        #expect(machine.writingBody() == .write)
        #expect(machine.isOpen, "open until the response is complete")
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test func quiescingClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirResponse() {
        var idle = Machine()
        #expect(idle.quiesce() == .close)
        #expect(!idle.isOpen)

        var busy = Machine()
        busy.receivedHead(keepAlive: true)
        #expect(busy.quiesce() == .none)
        #expect(busy.isOpen)
        #expect(busy.writingHead(saysClose: false) == .writeSayingClose, "the last response says Connection: close")
        #expect(busy.writingEnd() == .writeThenClose)
    }

    @Test func malformedHTTPIsAnswered400OnlyWhenTheClientWaitsForNothingElse() {
        var waiting = Machine()
        waiting.receivedHead(keepAlive: true)
        #expect(waiting.receivedMalformedRequest() == .refuseThenClose)
        #expect(!waiting.isOpen)

        var answering = Machine()
        answering.receivedHead(keepAlive: true)
        #expect(answering.writingHead(saysClose: false) == .write)
        answering.receivedHead(keepAlive: true)
        #expect(answering.receivedMalformedRequest() == .close, "a 400 would land in the middle of a response")
    }

    @Test func tooManyPipelinedRequestsClose() {
        var machine = Machine()
        machine.receivedHead(keepAlive: true)
        #expect(machine.overflowed() == .close)
        #expect(machine.writingEnd() == .fail)
        #expect(machine.overflowed() == .none)
    }
}
