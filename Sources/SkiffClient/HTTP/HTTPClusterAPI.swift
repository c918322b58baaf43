import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SkiffModel

/// How a client proves who it is to the API server.
public enum ClusterCredentials: Sendable {
    /// `Authorization: Bearer …` — agents present the join secret and are then `system:nodes`.
    case bearerToken(String)
    /// A TLS client certificate (PEM) and its key, e.g. the admin kubeconfig's.
    case clientCertificate(certificatePEM: [UInt8], keyPEM: [UInt8])
}

/// `ClusterAPI` over HTTPS to a remote server, for agents on other machines. One pooled `HTTPClient` (connections
/// are reused; nothing blocks an event loop), TLS trusting only the given CA, JSON through `SkiffModel`'s own parser.
///
/// Call `shutdown()` when done, or use `withAPI`, which always does.
public struct HTTPClusterAPI: ClusterAPI {
    /// The servers requests may go to; a request that cannot reach one moves the pool to the next.
    public let servers: ServerPool
    /// The server requests go to now (`https://host:port`, without a trailing slash).
    public var server: String { servers.current }
    public let resources: ResourceRegistry
    let client: HTTPClient
    /// The `Authorization` header every request carries (the join secret), if the credentials are not a certificate.
    public let authorization: String?
    /// TLS to the server: its CA alone, and the client certificate if that is the credential (renewed in place).
    /// Other connections to the server (the tunnel) use it too.
    public let tls: ClientTLS
    /// The TLS configuration of the next connection.
    public var tlsConfiguration: TLSConfiguration { tls.current }
    let requestTimeout: TimeAmount
    /// The `timeoutSeconds` a watch asks for is drawn from this range.
    let watchTimeoutSeconds: ClosedRange<Int>
    let logger: Logger

    /// Bodies above this are refused (a list of 10 000 pods is ~40 MiB).
    static let maxResponseBytes = 512 << 20

    public init(
        server: String, trustedCAPEM: [UInt8], credentials: ClusterCredentials,
        resources: ResourceRegistry = ResourceRegistry(), requestTimeout: Duration = .seconds(30),
        watchTimeoutSeconds: ClosedRange<Int> = 300...600, logger: Logger
    ) throws(ClientError) {
        try self.init(
            servers: ServerPool(server), trustedCAPEM: trustedCAPEM, credentials: credentials, resources: resources,
            requestTimeout: requestTimeout, watchTimeoutSeconds: watchTimeoutSeconds, logger: logger)
    }

    public init(
        servers: ServerPool, trustedCAPEM: [UInt8], credentials: ClusterCredentials,
        resources: ResourceRegistry = ResourceRegistry(), requestTimeout: Duration = .seconds(30),
        watchTimeoutSeconds: ClosedRange<Int> = 300...600, logger: Logger
    ) throws(ClientError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        // A server streaming a watch does not read, so it never answers the close_notify of a cancelled watch; the
        // default 5 s wait for that answer would hold up every cancelled watch and every shutdown.
        tls.shutdownTimeout = .milliseconds(250)
        var authorization: String?
        do {
            // Only the cluster's CA, never the system store: the CA was pinned by the join token.
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(trustedCAPEM))
            switch credentials {
            case .bearerToken(let token):
                authorization = "Bearer \(token)"
            case .clientCertificate(let certificatePEM, let keyPEM):
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificatePEM).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))
            }
        } catch {
            throw ClientError(.invalidCredentials, "cannot load the CA or client certificate", cause: error)
        }
        self.init(
            servers: servers, tls: tls, authorization: authorization, resources: resources,
            requestTimeout: requestTimeout, watchTimeoutSeconds: watchTimeoutSeconds,
            logger: logger)
    }

    init(
        servers: ServerPool, tls: TLSConfiguration, authorization: String?, resources: ResourceRegistry,
        requestTimeout: Duration, watchTimeoutSeconds: ClosedRange<Int> = 300...600, logger: Logger
    ) {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)), connectionPool: .init(idleTimeout: .seconds(60)))
        configuration.httpVersion = .http1Only
        self.servers = servers
        self.client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
            backgroundActivityLogger: logger)
        self.authorization = authorization
        self.tls = ClientTLS(tls)
        self.resources = resources
        let (seconds, attoseconds) = requestTimeout.components
        self.requestTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.logger = logger
    }

    /// Closes pooled connections; in-flight requests fail.
    public func shutdown() async {
        do {
            try await client.shutdown()
        } catch {
            logger.debug("HTTP client shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body` with a client and shuts the client down afterwards, however `body` ends.
    public static func withAPI<Result: Sendable>(
        server: String, trustedCAPEM: [UInt8], credentials: ClusterCredentials, requestTimeout: Duration = .seconds(30),
        logger: Logger, _ body: (HTTPClusterAPI) async throws -> Result
    ) async throws -> Result {
        try await withAPI(
            servers: ServerPool(server), trustedCAPEM: trustedCAPEM, credentials: credentials,
            requestTimeout: requestTimeout, logger: logger, body)
    }

    /// `withAPI` on several servers.
    public static func withAPI<Result: Sendable>(
        servers: ServerPool, trustedCAPEM: [UInt8], credentials: ClusterCredentials,
        requestTimeout: Duration = .seconds(30), logger: Logger, _ body: (HTTPClusterAPI) async throws -> Result
    ) async throws -> Result {
        let api = try HTTPClusterAPI(
            servers: servers, trustedCAPEM: trustedCAPEM, credentials: credentials, requestTimeout: requestTimeout,
            logger: logger)
        let result: Result
        do {
            result = try await body(api)
        } catch {
            await api.shutdown()
            throw error
        }
        await api.shutdown()
        return result
    }

    // MARK: ClusterAPI

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await object(.GET, APIPath.resource(type, namespace: namespace, name: name))
    }

    public func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError)
        -> ObjectList
    {
        let list = try await object(
            .GET, APIPath.resource(type, namespace: namespace) + APIPath.query(APIPath.listQuery(options)))
        var items = list["items"].arrayValue ?? []
        // Upstream leaves kind and apiVersion out of list items; in-process callers get them, so fill them in.
        for index in items.indices where items[index]["kind"].isNull {
            items[index]["kind"] = .string(type.kind)
            items[index]["apiVersion"] = .string(type.apiVersion)
        }
        return ObjectList(items: items, resourceVersion: list["metadata"]["resourceVersion"].stringValue ?? "")
    }

    public func watch(
        _ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions
    ) async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error> {
        var query = APIPath.listQuery(
            ListOptions(labelSelector: options.labelSelector, fieldSelector: options.fieldSelector))
        // The server ends the watch after timeoutSeconds (spread like client-go's, so many clients do not come back
        // together). A watch still open well after that sits on a dead link (a partition without a reset), so the
        // reader gives up then and the informer relists.
        let timeout = Int.random(in: watchTimeoutSeconds)
        query += [
            ("watch", "true"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", String(timeout)),
        ]
        let deadline = ContinuousClock.now + .seconds(timeout) + Self.watchGrace
        let response = try await send(.GET, APIPath.resource(type, namespace: namespace) + APIPath.query(query))
        guard response.status.code < 300 else {
            throw try await failure(response)
        }
        let reader = WatchBodyReader(body: response.body, server: server, deadline: deadline)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    /// How long past its timeoutSeconds a watch may stay open before the link is presumed dead.
    static let watchGrace = Duration.seconds(30)

    public func create(_ type: ResourceType, namespace: String?, object body: JSON, fieldManager: String)
        async throws(APIError)
        -> JSON
    {
        try await object(
            .POST, APIPath.resource(type, namespace: namespace) + APIPath.query([("fieldManager", fieldManager)]),
            body: body.serialized())
    }

    public func update(
        _ type: ResourceType, namespace: String?, object body: JSON, subresource: String?, fieldManager: String
    ) async throws(APIError) -> JSON {
        guard let name = body.name else { throw APIError.badRequest("the object has no name") }
        return try await object(
            .PUT,
            APIPath.resource(type, namespace: namespace, name: name, subresource: subresource)
                + APIPath.query([("fieldManager", fieldManager)]),
            body: body.serialized())
    }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        // An apply body is YAML; JSON is YAML, so the same serializer serves all four types.
        try await object(
            .PATCH,
            APIPath.resource(type, namespace: namespace, name: name, subresource: subresource)
                + APIPath.query([("fieldManager", fieldManager)]),
            body: patch.serialized(), contentType: patchType.rawValue)
    }

    public func apply(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String, force: Bool)
        async throws(APIError) -> JSON
    {
        try await self.object(
            .PATCH,
            APIPath.resource(type, namespace: namespace, name: object.name ?? "")
                + APIPath.query([("fieldManager", fieldManager)] + (force ? [("force", "true")] : [])),
            body: object.serialized(), contentType: PatchType.apply.rawValue)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        var body: [UInt8]?
        if let fields = options.objectValue, !fields.isEmpty { body = options.serialized() }
        _ = try await bytes(.DELETE, APIPath.resource(type, namespace: namespace, name: name), body: body)
    }

    public func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        _ = try await bytes(
            .POST, APIPath.resource(type, namespace: namespace, name: name, subresource: subresource),
            body: body.serialized())
    }

    /// POST to a subresource whose answer is an object (`serviceaccounts/<name>/token`).
    public func create(
        _ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON
    ) async throws(APIError) -> JSON {
        try await object(
            .POST, APIPath.resource(type, namespace: namespace, name: name, subresource: subresource),
            body: body.serialized())
    }

    // MARK: Requests

    /// A request whose answer is one JSON object.
    func object(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json")
        async throws(APIError) -> JSON
    {
        let buffer = try await bytes(method, path, body: body, contentType: contentType)
        return try Self.parse(buffer, what: "\(method.rawValue) \(path)")
    }

    /// A request's body on success; the server's `Status` as an `APIError` otherwise.
    func bytes(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json")
        async throws(APIError) -> ByteBuffer
    {
        let response = try await send(method, path, body: body, contentType: contentType)
        guard response.status.code < 300 else { throw try await failure(response) }
        do {
            return try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw APIError.unreachable(server, error)
        }
    }

    /// Sends a request and returns once the response head has arrived; the body is left to the caller. A server
    /// that cannot be reached moves the pool to the next one; a read (GET) is then tried once more there, as it
    /// changes nothing if the first attempt did reach the server after all.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json")
        async throws(APIError) -> HTTPClientResponse
    {
        let target = server
        do throws(APIError) {
            return try await send(to: target, method, path, body: body, contentType: contentType)
        } catch {
            guard !Task.isCancelled, let next = servers.failed(target) else { throw error }
            logger.warning(
                "server unreachable: switching to the next one",
                metadata: ["server": "\(target)", "next": "\(next)", "error": "\(error.message)"])
            guard method == .GET else { throw error }
            return try await send(to: next, method, path, body: body, contentType: contentType)
        }
    }

    private func send(
        to server: String, _ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String
    ) async throws(APIError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "skiff-agent")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        // The pool keys connections by TLS configuration: after a certificate renewal, new connections present it.
        request.tlsConfiguration = tls.current
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(body)
        }
        do {
            return try await client.execute(request, timeout: requestTimeout)
        } catch {
            throw APIError.unreachable(server, error)
        }
    }

    /// The error a non-2xx response stands for.
    func failure(_ response: HTTPClientResponse) async throws(APIError) -> APIError {
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw APIError.unreachable(server, error)
        }
        var error = APIError(httpStatus: Int(response.status.code), body: Array(body.readableBytesView))
        if error.retryAfterSeconds == nil, let retry = response.headers.first(name: "Retry-After").flatMap(Int.init) {
            error.retryAfterSeconds = retry
        }
        return error
    }

    static func parse(_ buffer: ByteBuffer, what: String) throws(APIError) -> JSON {
        let parsed = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSON in try JSONParser().parse(bytes).value }
        }
        switch parsed {
        case .success(let value): return value
        case .failure(let error):
            throw APIError(code: 500, reason: "InternalError", message: "\(what): the response is not JSON: \(error)")
        }
    }
}

/// Pulls a watch body chunk by chunk and hands out its events. Used only from the one `AsyncThrowingStream` built in
/// `watch`, whose `unfolding` closure is never entered concurrently, and each read of the iterator is awaited before
/// the next; that is why the mutable iterator is safe here.
final class WatchBodyReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var decoder = WatchEventDecoder()
    private var ready: [WatchEventDecoder.Line] = []
    private var readyIndex = 0
    private var finished = false
    private let server: String
    /// Past this the server should long have ended the watch: reading stops with a 504.
    private let deadline: ContinuousClock.Instant

    init(body: HTTPClientResponse.Body, server: String, deadline: ContinuousClock.Instant) {
        self.iterator = body.makeAsyncIterator()
        self.server = server
        self.deadline = deadline
    }

    /// The next body chunk, unless the deadline passes first (the read is then cancelled, which closes the
    /// connection).
    private func nextChunk() async throws -> ByteBuffer? {
        enum Read: Sendable {
            case chunk(ByteBuffer?)
            case deadline
        }
        let deadline = self.deadline
        let first = try await withThrowingTaskGroup(of: Read.self) { group in
            group.addTask { .chunk(try await self.iterator.next()) }
            group.addTask {
                try await Task.sleep(until: deadline)
                return .deadline
            }
            defer { group.cancelAll() }
            return try await group.next() ?? .deadline
        }
        switch first {
        case .chunk(let chunk):
            return chunk
        case .deadline:
            throw APIError.timeout(
                "the watch on \(server) is still open past its timeout; the connection is presumed dead")
        }
    }

    /// The next event; nil when the server ended the watch; throws an `APIError` (410 → the caller relists).
    func next() async throws -> ClusterEvent? {
        while true {
            while readyIndex < ready.count {
                let line = ready[readyIndex]
                readyIndex += 1
                switch line {
                case .event(let event): return event
                case .bookmark: continue
                case .error(let error):
                    finished = true
                    ready = []
                    readyIndex = 0
                    throw error
                }
            }
            ready = []
            readyIndex = 0
            if finished { return nil }
            let chunk: ByteBuffer?
            do {
                chunk = try await nextChunk()
            } catch let error as APIError {
                finished = true
                throw error
            } catch {
                finished = true
                if Task.isCancelled { throw CancellationError() }
                throw APIError.unreachable(server, error)
            }
            if let chunk {
                ready = try decoder.feed(chunk.readableBytesView)
            } else {
                finished = true
                if let last = try decoder.finish() { ready = [last] }
            }
        }
    }
}
