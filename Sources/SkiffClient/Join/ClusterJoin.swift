import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import SkiffModel

/// Joins a server the k3s way: download `/cacerts` without verifying the server (there is nothing to verify it with
/// yet), accept the bytes only if they hash to the value pinned in the token, then trust that CA alone for every
/// further request. An unreachable server is retried with backoff; a wrong CA or a refused secret ends the join.
public struct ClusterJoin: Sendable {
    /// The servers the join may use; one that cannot be reached moves it to the next.
    public let servers: ServerPool
    /// The server the join talks to now (`https://host:port`, without a trailing slash).
    public var server: String { servers.current }
    public let token: JoinToken
    public var backoff: Backoff
    /// What the back-off between attempts waits on.
    public var clock: ServiceClock = .continuous
    let logger: Logger

    public init(server: String, token: JoinToken, backoff: Backoff = Backoff(), logger: Logger) throws(ClientError) {
        try self.init(servers: [server], token: token, backoff: backoff, logger: logger)
    }

    /// - Parameter servers: at least one `https://HOST:PORT`; the first is tried first.
    public init(servers: [String], token: JoinToken, backoff: Backoff = Backoff(), logger: Logger) throws(ClientError) {
        guard !servers.isEmpty else { throw ClientError(.invalidServer, "no server to join") }
        for server in servers {
            guard let url = URL(string: server), url.scheme == "https", let host = url.host, !host.isEmpty else {
                throw ClientError(
                    .invalidServer, "the server must be an https URL like https://HOST:6443, not \"\(server)\"")
            }
        }
        self.servers = ServerPool(servers)
        self.token = token
        self.backoff = backoff
        self.logger = logger
    }

    /// The server's CA, verified against the token; waits for the server as long as it takes (or until cancelled).
    public func fetchCA() async throws(ClientError) -> [UInt8] {
        let pem = try await retrying("fetch the server CA") { () async throws(JoinAttemptError) -> [UInt8] in
            try await fetchCAOnce()
        }
        try token.verify(caPEM: pem)
        logger.info(
            "server CA verified against the token", metadata: ["server": "\(server)", "ca.sha256": "\(token.caHash)"])
        return pem
    }

    /// One authenticated request, so refused credentials fail the join clearly instead of every later request.
    public func checkAccess(_ api: HTTPClusterAPI) async throws(ClientError) {
        let nodes = api.type("", "v1", "nodes")
        try await retrying("authenticate to the server") { () async throws(JoinAttemptError) in
            do throws(APIError) {
                _ = try await api.list(nodes, namespace: nil, options: ListOptions(limit: 1))
            } catch {
                switch error.code {
                case 401:
                    throw .fatal(
                        ClientError(.unauthorized, "the server refused the node's credentials: \(error.message)"))
                case 403:
                    throw .fatal(
                        ClientError(.unauthorized, "the server does not let this node list nodes: \(error.message)"))
                default:
                    throw .retry(error)
                }
            }
        }
        logger.info("joined the server", metadata: ["server": "\(server)"])
    }

    // MARK: Attempts

    /// Why one attempt failed: worth retrying (server down, restarting, overloaded) or not.
    enum JoinAttemptError: Error {
        case retry(any Error)
        case fatal(ClientError)
    }

    func retrying<T>(_ what: String, _ attempt: () async throws(JoinAttemptError) -> T) async throws(ClientError) -> T {
        var failures = 0
        while true {
            if Task.isCancelled { throw ClientError(.cancelled, "cancelled before the join finished") }
            do throws(JoinAttemptError) {
                return try await attempt()
            } catch {
                switch error {
                case .fatal(let error):
                    throw error
                case .retry(let cause):
                    if Task.isCancelled { throw ClientError(.cancelled, "cancelled before the join finished") }
                    failures += 1
                    let delay = backoff.delay(attempt: failures)
                    let failed = server
                    // The next attempt goes to the next server, if there are several.
                    let next = servers.failed(failed)
                    var metadata: Logger.Metadata = [
                        "server": "\(failed)", "attempt": "\(failures)", "retry.in": "\(delay)", "error": "\(cause)",
                    ]
                    if let next { metadata["next"] = "\(next)" }
                    logger.warning("cannot \(what), retrying", metadata: metadata)
                    do {
                        try await clock.sleep(for: delay)
                    } catch {
                        throw ClientError(.cancelled, "cancelled before the join finished")
                    }
                }
            }
        }
    }

    /// GET `/cacerts` over TLS without verifying the server: the bytes are checked against the token instead.
    func fetchCAOnce() async throws(JoinAttemptError) -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.applicationProtocols = ["http/1.1"]
        tls.shutdownTimeout = .milliseconds(250)
        // The pool keeps re-dialling a refused connection until this passes, so it is also how soon a down server
        // is reported (and logged) — short, since the join itself retries with backoff.
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: .seconds(3)))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
            backgroundActivityLogger: logger)
        let result: Result<[UInt8], JoinAttemptError>
        do {
            var request = HTTPClientRequest(url: server + "/cacerts")
            request.headers.add(name: "User-Agent", value: "skiff-agent")
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            let bytes = Array(body.readableBytesView)
            switch response.status.code {
            case 200..<300:
                result = .success(bytes)
            case 429, 500...:
                result = .failure(.retry(APIError(httpStatus: Int(response.status.code), body: bytes)))
            default:
                let error = APIError(httpStatus: Int(response.status.code), body: bytes)
                result = .failure(
                    .fatal(
                        ClientError(
                            .unexpectedResponse,
                            "\(server)/cacerts answered \(error.code) \(error.reason): is this a skiff (or k3s) server?"
                        )))
            }
        } catch {
            result = .failure(.retry(error))
        }
        try? await client.shutdown()
        return try result.get()
    }
}
