import Foundation
import SkiffModel

/// Whether the agent reaches its server: a pure state machine fed with what the agent's requests and its probe saw,
/// answering what to do about each change. `ServerLinkMonitor` owns it and carries the actions out.
///
/// A request that could not reach the server (no connection, no answer in time) takes the link offline at once: the
/// agent then serves its reads from its cache and fails its writes fast instead of waiting on a dead connection.
/// Only an answer from the server brings the link back; every change of state bumps `generation`, which ends the
/// watches opened under the previous state (informers then relist: from the cache when offline, from the server once
/// back, which is where pods deleted meanwhile are noticed).
public struct ServerLink: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// The agent just started: nothing has answered or failed yet.
        case starting
        case online(since: Date)
        /// Unreachable since `since`; `lastHeard`: the server's last answer (nil: none since this start).
        case offline(since: Date, lastHeard: Date?)
    }

    public enum Event: Sendable, Equatable {
        case answered(at: Date)
        case unreachable(at: Date, reason: String)
    }

    public enum Action: Sendable, Equatable {
        /// The first answer since the agent started.
        case connected(at: Date)
        /// The server cannot be reached: the agent runs from its cache from now on.
        case wentOffline(since: Date, lastHeard: Date?, reason: String)
        /// The server answers again after `offlineSince`: relist from it, report status again.
        case cameBack(offlineSince: Date, lastHeard: Date?, at: Date)
    }

    public private(set) var state: State = .starting
    /// Bumped at every change of state.
    public private(set) var generation = 0
    /// The server's last answer.
    public private(set) var lastHeard: Date?

    public init() {}

    public var isOffline: Bool {
        if case .offline = state { return true }
        return false
    }

    public var isStarting: Bool { state == .starting }

    public mutating func handle(_ event: Event) -> Action? {
        switch (state, event) {
        case (.starting, .answered(let at)):
            transition(to: .online(since: at))
            lastHeard = at
            return .connected(at: at)
        case (.online, .answered(let at)):
            lastHeard = at
            return nil
        case (.offline(let since, let heard), .answered(let at)):
            transition(to: .online(since: at))
            lastHeard = at
            return .cameBack(offlineSince: since, lastHeard: heard, at: at)
        case (.starting, .unreachable(let at, let reason)), (.online, .unreachable(let at, let reason)):
            transition(to: .offline(since: at, lastHeard: lastHeard))
            return .wentOffline(since: at, lastHeard: lastHeard, reason: reason)
        case (.offline, .unreachable):
            return nil
        }
    }

    private mutating func transition(to next: State) {
        state = next
        generation += 1
    }

    /// Whether a failed request means the server could not be reached (as opposed to an answer that says no):
    /// no connection or no answer in time (the client's 503 `cannot reach`, a 504), or a server that is not serving.
    public static func isUnreachable(_ error: APIError) -> Bool {
        error.code == 503 || error.code == 504
    }
}
