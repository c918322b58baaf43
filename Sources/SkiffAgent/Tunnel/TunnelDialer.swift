import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import SkiffClient
import SkiffModel
import SkiffTunnel
import SkiffTunnelTransport

/// The agent's end of the reverse tunnel: keeps one WebSocket to `wss://SERVER/v1-skiff/connect` open, and answers
/// the kubelet requests the server sends through it with the node's `KubeletEndpoint`. The server never connects to
/// the node, so a node behind NAT serves logs, exec and port-forward all the same.
///
/// A lost connection is dialed again after a short capped back-off with jitter (0.5 s doubling to 2 s; a connect is
/// given up after 2 s, so a SYN lost while the link was down is soon sent again): a node whose link returns is back
/// within about 5 s, and nodes that lost the server together do not return in step. Pings every 5 s find a dead link
/// (no FIN, no RST) within 10 s.
public struct TunnelDialer: Service {
    public struct Configuration: Sendable {
        /// `https://host:port`
        public var server: String
        public var nodeName: String
        /// Read at every dial: a renewed node certificate is used from the next connection on.
        public var tls: ClientTLS
        /// The credential header, when the TLS client certificate is not the credential.
        public var authorization: String?
        public var backoff: Backoff
        public var pingInterval: Duration

        public init(
            server: String, nodeName: String, tls: ClientTLS, authorization: String?,
            backoff: Backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(2), multiplier: 2, jitter: 0.2),
            pingInterval: Duration = .seconds(5)
        ) {
            self.server = server
            self.nodeName = nodeName
            self.tls = tls
            self.authorization = authorization
            self.backoff = backoff
            self.pingInterval = pingInterval
        }

        /// The server's host and port (443 when the URL names none).
        var address: (host: String, port: Int) {
            var authority = server.hasPrefix("https://") ? server.dropFirst("https://".count) : server.dropFirst(0)
            authority = authority.prefix { $0 != "/" }
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                let host = authority[authority.index(after: authority.startIndex)..<close]
                let port = authority[authority.index(after: close)...].dropFirst()
                return (String(host), Int(port) ?? 443)
            }
            let parts = authority.split(separator: ":", maxSplits: 1)
            return (String(parts.first ?? ""), parts.count > 1 ? Int(parts[1]) ?? 443 : 443)
        }

        /// The name sent as TLS SNI and checked against the server's certificate. SNI cannot carry an IP address, so
        /// a server named by IP is checked as `kubernetes`, a name every skiff serving certificate holds; the trust
        /// is the cluster CA pinned by the join token either way.
        var serverName: String {
            let host = address.host
            let isIP = host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
            return isIP ? "kubernetes" : host
        }
    }

    let configuration: Configuration
    let endpoint: any KubeletEndpoint
    let logger: Logger
    /// What the back-off between dials waits on.
    let clock: ServiceClock

    public init(
        configuration: Configuration, endpoint: any KubeletEndpoint, clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.clock = clock
        self.configuration = configuration
        self.endpoint = endpoint
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await dial()
        }
    }

    /// Dials, and dials again after every loss, until cancelled or `keepDialing` says no more (asked after each
    /// connection ends or fails).
    public func dial(while keepDialing: @Sendable () -> Bool = { true }) async {
        var failures = 0
        while !Task.isCancelled {
            let result = await dialOnce(quiet: failures > 0 && failures % 30 != 0)
            if Task.isCancelled || !keepDialing() { return }
            failures = result == .connected ? 1 : failures + 1
            do {
                try await clock.sleep(for: configuration.backoff.delay(attempt: failures))
            } catch {
                return
            }
        }
    }

    /// How one dial went.
    public enum DialResult: Sendable, Equatable {
        /// The tunnel was up, until it closed or was lost.
        case connected
        /// The server answered the upgrade without switching (credentials, node name).
        case refused
        /// No answer: the server could not be reached, or TLS failed.
        case unreachable
    }

    /// One connection, for as long as it lasts.
    /// - Parameter quiet: a failure to connect is logged at debug level only (a server that stays down is reported
    ///   on the first failure and then every 30th, not every 2 s).
    public func dialOnce(quiet: Bool = false) async -> DialResult {
        var headers = HTTPHeaders()
        headers.add(name: "X-Skiff-Node-Name", value: configuration.nodeName)
        if let authorization = configuration.authorization { headers.add(name: "Authorization", value: authorization) }
        let (host, port) = configuration.address
        let server = configuration.server
        let upgrade: WebSocketDialer.Upgrade
        do {
            upgrade = try await TunnelWebSocket.dial(
                host: host, port: port, path: "/v1-skiff/connect", headers: headers, tls: configuration.tls.current,
                serverName: configuration.serverName)
        } catch {
            if !Task.isCancelled {
                logger.log(
                    level: quiet ? .debug : .warning, "cannot open the tunnel",
                    metadata: ["server": "\(server)", "error": "\(error)"])
            }
            return .unreachable
        }
        guard case .webSocket(let frames) = upgrade else {
            logger.warning(
                "the server refused the tunnel (no WebSocket upgrade): check the node's credentials",
                metadata: ["server": "\(server)", "node": "\(configuration.nodeName)"])
            return .refused
        }
        logger.info("tunnel connected", metadata: ["server": "\(server)"])
        let session = TunnelSession(side: .dialer)
        let endpoint = endpoint
        do {
            let peerClosed = try await TunnelWebSocket.run(
                session, on: frames, client: true, pingInterval: configuration.pingInterval, logger: logger,
                accept: { stream in await KubeletTunnel.answer(stream, with: endpoint) })
            if peerClosed || Task.isCancelled {
                logger.info("tunnel closed", metadata: ["server": "\(server)"])
            } else {
                logger.warning(
                    "tunnel lost",
                    metadata: ["server": "\(server)", "error": "no answer to pings, or closed without a word"])
            }
        } catch {
            if !Task.isCancelled {
                logger.warning("tunnel lost", metadata: ["server": "\(server)", "error": "\(error)"])
            }
        }
        session.end(TunnelStreamError("the tunnel closed"))
        return .connected
    }
}
