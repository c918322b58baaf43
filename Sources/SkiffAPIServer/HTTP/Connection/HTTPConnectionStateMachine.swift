/// One HTTP/1.1 connection of the API server, without I/O: `APIHTTPHandler` reports what happened on the channel and
/// does what the returned action says, as swift-nio's and Hummingbird's HTTP handlers are built.
///
/// A connection is open until it is closed; while open it counts the requests read whose response has not ended
/// (the client may pipeline), whether a response is being written, and whether the connection is to close once the
/// last of them ends — because a request asked for it (`Connection: close`, HTTP/1.0 without keep-alive), a response
/// said so (the 503 sent while shutting down) or the server quiesces. A request that asks to switch protocols
/// (WebSocket for exec, port-forward, the tunnel) closes the connection after its response unless that response is
/// the 101: then the connection is `switching` while the 101 goes out, and `upgraded` once the handler swapped HTTP
/// for WebSocket frames; HTTP writes are over for good.
struct HTTPConnectionStateMachine {
    private enum State {
        case open(Open)
        case switching
        case upgraded
        case closed
    }

    private struct Open {
        /// Requests read whose response has not ended.
        var unanswered = 0
        /// A response's head was written and its end not yet.
        var responding = false
        /// Close once no request is left unanswered.
        var closeAfterResponses = false
    }

    private var state = State.open(Open())

    /// What to do with a request whose head and body have been read.
    enum RequestAction: Equatable {
        /// Hand it to the connection's task.
        case queue
        /// The connection is closing: drop it.
        case drop
    }

    /// What to do after a part of a response was handed over.
    enum ResponseAction: Equatable {
        /// Write the part as it is.
        case write
        /// Write the head with `Connection: close` added: it is the last response before the close.
        case writeSayingClose
        /// Write and flush the end, then close the connection.
        case writeThenClose
        /// The connection is closed: nothing can be written.
        case fail
    }

    /// What to do when something ends the connection's normal course.
    enum CloseAction: Equatable {
        /// Close now.
        case close
        /// Answer 400 Bad Request with `Connection: close` (the client is waiting for an answer), then close.
        case refuseThenClose
        /// Nothing now: the connection closes after the responses still owed.
        case none
    }

    /// A request's head arrived; `keepAlive` is false for `Connection: close` or HTTP/1.0 without keep-alive, and for
    /// a request asking to switch protocols (HTTP parsing stops after it).
    mutating func receivedHead(keepAlive: Bool) {
        guard case .open(var open) = state else { return }
        open.unanswered += 1
        if !keepAlive { open.closeAfterResponses = true }
        state = .open(open)
    }

    /// The request whose head arrived last is complete.
    func receivedRequest() -> RequestAction {
        if case .open = state { return .queue }
        return .drop
    }

    /// The request could not be parsed (malformed HTTP): the client gets a 400 if it is not waiting for an earlier
    /// response, and the connection closes either way.
    mutating func receivedMalformedRequest() -> CloseAction {
        guard case .open(let open) = state else { return .none }
        state = .closed
        return !open.responding && open.unanswered <= 1 ? .refuseThenClose : .close
    }

    /// The client pipelined more requests than the server holds.
    mutating func overflowed() -> CloseAction {
        guard case .open = state else { return .none }
        state = .closed
        return .close
    }

    /// The server is shutting down: an idle connection closes at once, a busy one after the responses it owes.
    mutating func quiesce() -> CloseAction {
        guard case .open(var open) = state else { return .none }
        if open.unanswered == 0 {
            state = .closed
            return .close
        }
        open.closeAfterResponses = true
        state = .open(open)
        return .none
    }

    /// A response's head is about to be written; `saysClose` when it carries `Connection: close` itself,
    /// `switchingProtocols` for a 101 (allowed only for the one request left: the upgrade request ends the HTTP).
    mutating func writingHead(saysClose: Bool, switchingProtocols: Bool = false) -> ResponseAction {
        guard case .open(var open) = state else { return .fail }
        if switchingProtocols {
            guard open.unanswered == 1, !open.responding else { return .fail }
            state = .switching
            return .write
        }
        open.responding = true
        defer { state = .open(open) }
        if saysClose {
            open.closeAfterResponses = true
            return .write
        }
        return open.closeAfterResponses && open.unanswered == 1 ? .writeSayingClose : .write
    }

    /// A body part is about to be written.
    func writingBody() -> ResponseAction {
        if case .open = state { return .write }
        return .fail
    }

    /// A response's end is about to be written.
    mutating func writingEnd() -> ResponseAction {
        if case .switching = state { return .write }
        guard case .open(var open) = state else { return .fail }
        open.responding = false
        open.unanswered = max(0, open.unanswered - 1)
        if open.closeAfterResponses, open.unanswered == 0 {
            state = .closed
            return .writeThenClose
        }
        state = .open(open)
        return .write
    }

    /// The 101 went out: whether the connection may now carry WebSocket frames (it is still there and switching).
    mutating func switched() -> Bool {
        guard case .switching = state else { return false }
        state = .upgraded
        return true
    }

    /// The channel closed (either side).
    mutating func closed() {
        state = .closed
    }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }
}
