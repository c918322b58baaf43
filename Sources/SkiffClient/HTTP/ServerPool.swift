import Foundation
import Synchronization

/// The API servers an agent may talk to, and the one it talks to now. Pure: what to use after a failure, what the
/// `kubernetes` Endpoints taught. The servers given on the command line stay for good (they are how the agent finds
/// the cluster again after losing every learned one); learned ones come and go with the Endpoints.
///
/// Like k3s' client-side load balancer, the agent sticks to one server until a request to it fails to reach it, then
/// moves to the next in the list: all of a node's requests go to one server at a time, and a dead one costs one
/// failed request.
public struct ServerRotation: Sendable, Equatable {
    /// Given with `--server`, in that order.
    public private(set) var configured: [String]
    /// From the `kubernetes` Endpoints, sorted.
    public private(set) var learned: [String] = []
    /// The server requests go to.
    public private(set) var current: String

    /// - Parameter configured: at least one `https://host:port` (normalized by `normalize`).
    public init(configured: [String]) {
        var seen = Set<String>()
        self.configured = configured.map(Self.normalize).filter { seen.insert($0).inserted }
        self.current = self.configured.first ?? ""
    }

    /// Every server, configured first, each once.
    public var all: [String] {
        var seen = Set(configured)
        return configured + learned.filter { seen.insert($0).inserted }
    }

    /// A request to `server` could not reach it: the next one is current (unless another failure moved on already).
    /// Returns whether the current server changed.
    @discardableResult
    public mutating func failed(_ server: String) -> Bool {
        let all = self.all
        guard Self.normalize(server) == current, all.count > 1, let index = all.firstIndex(of: current) else {
            return false
        }
        current = all[(index + 1) % all.count]
        return true
    }

    /// The servers the `kubernetes` Endpoints name now. The current server stays current while it is listed
    /// anywhere; a current server that was learned and is gone gives way to the first one.
    public mutating func learn(_ servers: [String]) {
        learned = Array(Set(servers.map(Self.normalize))).sorted()
        if !all.contains(current) { current = all.first ?? current }
    }

    /// `https://host:port` without a trailing slash, the host lowercased; the port made explicit (443 when absent).
    public static func normalize(_ server: String) -> String {
        var text = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let components = URLComponents(string: text), let host = components.host, components.scheme != nil
        else { return text }
        let port = components.port ?? 443
        let literal = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        text = "\(components.scheme!.lowercased())://\(literal.lowercased()):\(port)"
        return text
    }

    /// The URLs of an Endpoints object's addresses (`https://ip:port`, IPv6 in brackets).
    public static func servers(endpoints: [String: [Int]]) -> [String] {
        endpoints.flatMap { address, ports in
            ports.map { port in address.contains(":") ? "https://[\(address)]:\(port)" : "https://\(address):\(port)" }
        }.sorted()
    }
}

/// A `ServerRotation` shared by everything that talks to the servers: the HTTP client, the join, the tunnels.
public final class ServerPool: Sendable {
    private let state: Mutex<(rotation: ServerRotation, version: Int)>

    public init(_ configured: [String]) {
        state = Mutex((ServerRotation(configured: configured), 0))
    }

    public convenience init(_ server: String) { self.init([server]) }

    public var current: String { state.withLock { $0.rotation.current } }
    public var all: [String] { state.withLock { $0.rotation.all } }
    public var rotation: ServerRotation { state.withLock { $0.rotation } }
    /// Grows with every change of the list or the current server.
    public var version: Int { state.withLock { $0.version } }

    public func contains(_ server: String) -> Bool { all.contains(ServerRotation.normalize(server)) }

    /// See `ServerRotation.failed`; returns the server to use now when it changed.
    @discardableResult
    public func failed(_ server: String) -> String? {
        state.withLock { state in
            guard state.rotation.failed(server) else { return nil }
            state.version += 1
            return state.rotation.current
        }
    }

    /// See `ServerRotation.learn`; returns whether anything changed.
    @discardableResult
    public func learn(_ servers: [String]) -> Bool {
        state.withLock { state in
            let before = state.rotation
            state.rotation.learn(servers)
            guard state.rotation != before else { return false }
            state.version += 1
            return true
        }
    }
}
