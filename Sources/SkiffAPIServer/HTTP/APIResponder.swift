import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import SkiffModel
import SkiffPKI
import SkiffStore
import SkiffTunnelTransport
import Synchronization

/// Answers every HTTP request of the Kubernetes API: authentication, then dispatch on the parsed route. All errors
/// leave as `Status` objects with the upstream code and reason.
public struct APIResponder: HTTPResponder {
    public typealias Context = APIRequestContext

    static let maxBodySize = 3 * 1024 * 1024

    let registry: ObjectRegistry
    let authenticator: Authenticator
    let serverAddress: String
    let logger: Logger
    /// The exact bytes served at `/cacerts` (nil: not served).
    let caCertificatesPEM: [UInt8]?
    let openAPI = OpenAPICache()
    /// Signs tokens for `serviceaccounts/token`; nil answers that subresource with 405.
    let serviceAccountKey: ServiceAccountKey?
    /// Once shutting down, every request is refused (`shuttingDown`).
    let shutdown: ShutdownState
    let kubelets: KubeletDirectory
    let tunnels: TunnelListener
    /// Issues node certificates at join; nil: this server issues none.
    let nodeRegistrar: NodeRegistrar?
    let authorizer: RequestAuthorizer
    /// Whether requests without credentials may read the public paths (`/healthz`, `/livez`, `/readyz`, `/version`)
    /// as `system:anonymous`; everything else answers them 401 either way.
    let anonymousAuth: Bool
    /// Records every request; nil: no audit log.
    let auditLog: AuditLog?

    public init(
        registry: ObjectRegistry, authenticator: Authenticator, serverAddress: String,
        caCertificatesPEM: [UInt8]? = nil,
        shutdown: ShutdownState = ShutdownState(), logger: Logger, serviceAccountKey: ServiceAccountKey? = nil,
        kubelets: KubeletDirectory = KubeletDirectory(), nodeRegistrar: NodeRegistrar? = nil,
        anonymousAuth: Bool = true, auditLog: AuditLog? = nil
    ) {
        self.anonymousAuth = anonymousAuth
        self.auditLog = auditLog
        self.kubelets = kubelets
        self.nodeRegistrar = nodeRegistrar
        authorizer = RequestAuthorizer(registry: registry)
        tunnels = TunnelListener(kubelets: kubelets, logger: logger)
        self.registry = registry
        self.authenticator = authenticator
        self.serverAddress = serverAddress
        self.caCertificatesPEM = caCertificatesPEM
        self.shutdown = shutdown
        self.logger = logger
        self.serviceAccountKey = serviceAccountKey
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        if shutdown.isShuttingDown { return Self.shuttingDown }
        let route = APIRoute.parse(request.uri.path)
        if request.method == .get, let response = unauthenticated(route) { return response }
        guard let auditLog else {
            var identity = AuditIdentity()
            return await respond(request, context, route, &identity)
        }
        let received = registry.now()
        var identity = AuditIdentity()
        let response = await respond(request, context, route, &identity)
        auditLog.record(
            AuditTrail.event(
                request: request, route: route, identity: identity, status: response.status.code,
                sourceIP: context.channel?.remoteAddress?.ipAddress, received: received, completed: registry.now()))
        return response
    }

    private func respond(
        _ request: Request, _ context: Context, _ route: APIRoute, _ identity: inout AuditIdentity
    ) async -> Response {
        let connection = context.connection
        do {
            let authenticated = try await authenticate(request, context.channel, connection, route: route)
            identity.user = authenticated
            let user = try await Impersonation.actingUser(request.headers, user: authenticated, authorizer: authorizer)
            if user != authenticated { identity.impersonated = user }
            if route.isNonResource {
                try await authorizer.authorize(
                    .nonResource(user: user, verb: request.method.rawValue.lowercased(), path: request.uri.path))
            }
            var request = request
            return try await self.route(&request, user: user, connection: connection, admission: identity.admission)
        } catch let error as APIError {
            // Authorization's refusals name the user (`… is forbidden: User "u" cannot …`); admission's do not.
            if error.code == 403, error.message.contains(": User \"") { identity.forbidden = true }
            return Self.error(error)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.error(APIError.internal(String(describing: error)))
        }
    }

    /// The client certificate's user (derived once per connection: it cannot change on it), else the request's
    /// credentials (evaluated per request: they may differ from one request to the next).
    private func authenticate(
        _ request: Request, _ channel: (any Channel)?, _ connection: APIConnection?, route: APIRoute
    ) async throws(APIError) -> UserInfo {
        let certificateUser: UserInfo?
        if let cached = connection?.certificateUser {
            certificateUser = cached
        } else {
            var certificate: NIOSSLCertificate?
            if let channel { certificate = try? await channel.nioSSL_peerCertificate().get() }
            certificateUser = Authenticator.user(peerCertificate: certificate)
            connection?.setCertificateUser(certificateUser)
        }
        if let certificateUser { return certificateUser }
        if let user = await authenticator.authenticate(authorization: request.headers[.authorization]) { return user }
        if anonymousAuth, request.headers[.authorization] == nil, route.isPublicInfo { return UserInfo.anonymous }
        throw APIError.unauthorized
    }

    /// The join endpoints agents call before they can authenticate (they verify the CA against their token).
    private func unauthenticated(_ route: APIRoute) -> Response? {
        switch route {
        case .caCertificates:
            guard let caCertificatesPEM else { return nil }
            return Self.bytes(.ok, caCertificatesPEM, contentType: "text/plain; charset=utf-8")
        case .ping:
            return Self.bytes(.ok, Array("pong".utf8), contentType: "text/plain; charset=utf-8")
        default:
            return nil
        }
    }

    private func route(
        _ request: inout Request, user: UserInfo, connection: APIConnection?, admission: AdmissionWarnings
    ) async throws -> Response {
        let query = QueryParameters(request.uri.query)
        switch APIRoute.parse(request.uri.path) {
        case .version:
            // Upstream writes /version with json.MarshalIndent: two-space indentation, no final newline.
            return Self.bytes(.ok, Self.versionDocument.serialized(.pretty))
        case .health(let name):
            // /readyz and /healthz need the datastore (as upstream's etcd check); /livez only this process, so a
            // supervisor does not restart a server that waits for its database.
            if name != "livez" {
                do {
                    _ = try await registry.store.currentRevision()
                } catch {
                    return Response(
                        status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string: "[+]ping ok\n[-]datastore failed: reason withheld\n\(name) check failed\n")))
                }
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: name == "healthz" || query["verbose"] == nil
                            ? "ok" : "[+]ping ok\n[+]datastore ok\n\(name) check passed\n")))
        case .coreVersions:
            let format = DiscoveryFormat.negotiate(accept: request.headers[.accept])
            guard case .aggregated(let version) = format else {
                return Self.json(.ok, Discovery.apiVersions(serverAddress: serverAddress))
            }
            return Self.json(
                .ok, Discovery.aggregated(registry.resources, core: true, version: version),
                contentType: format.contentType)
        case .groups:
            let format = DiscoveryFormat.negotiate(accept: request.headers[.accept])
            guard case .aggregated(let version) = format else {
                return Self.json(.ok, Discovery.groupList(registry.resources))
            }
            return Self.json(
                .ok, Discovery.aggregated(registry.resources, core: false, version: version),
                contentType: format.contentType)
        case .group(let group):
            guard let document = Discovery.group(registry.resources, name: group) else { throw APIError.unknownPath }
            return Self.json(.ok, document)
        case .resourceList(let group, let version):
            let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
            guard let document = Discovery.resourceList(registry.resources, groupVersion: groupVersion) else {
                throw APIError.unknownPath
            }
            return Self.json(.ok, document)
        case .openAPIv3Index:
            return Self.bytes(.ok, openAPI.documents(for: registry.resources).indexBytes)
        case .openAPIv3(let group, let version):
            let path = group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
            guard let document = openAPI.documents(for: registry.resources).document(at: path) else {
                throw APIError.unknownPath
            }
            return Self.bytes(.ok, document.bytes)
        case .tunnel:
            return try tunnel(request, user: user, connection: connection)
        case .nodeCertificate:
            return try await nodeCertificate(&request, user: user)
        case .openAPIv2:
            // kubectl asks for protobuf only; JSON for anyone who asks for it.
            let accept = request.headers[.accept] ?? ""
            if accept.contains(OpenAPIv2Document.protobufAccept) || accept.contains(OpenAPIv2Document.protobufMediaType)
            {
                return Self.bytes(
                    .ok, OpenAPIv2Document.protobuf(kubernetesVersion: SkiffVersion.gitVersion),
                    contentType: OpenAPIv2Document.protobufMediaType)
            }
            return Self.json(.ok, OpenAPIv2Document.json(kubernetesVersion: SkiffVersion.gitVersion))
        case .unknown, .caCertificates, .ping:
            throw APIError.unknownPath
        case .resource(let route):
            guard
                let type = registry.resources.lookup(
                    group: route.group, version: route.version, resource: route.resource)
            else {
                throw APIError.unknownPath
            }
            let handler = ResourceHandler(
                registry: registry, type: type, namespace: route.namespace, name: route.name,
                subresource: route.subresource, query: query, user: user, logger: logger,
                serviceAccountKey: serviceAccountKey, connection: connection, kubelets: kubelets,
                authorizer: authorizer, warnings: admission)
            return try await handler.handle(&request)
        }
    }

    static let versionDocument: JSON = SkiffVersion.document

    /// `/v1-skiff/connect`: a node's agent switches the connection to a WebSocket that carries its tunnel. The node
    /// is the one its certificate names (`system:node:<name>`); the `X-Skiff-Node-Name` header is not trusted.
    private func tunnel(_ request: Request, user: UserInfo, connection: APIConnection?) throws(APIError) -> Response {
        guard let node = user.nodeName else {
            throw APIError.forbidden(
                "user \"\(user.name)\" cannot open a node tunnel: only a node's certificate (system:node:<name>) can")
        }
        guard let upgrade = WebSocketUpgrade(request.head) else {
            throw APIError.badRequest("/v1-skiff/connect takes a WebSocket upgrade (Upgrade: websocket)")
        }
        guard let subprotocol = upgrade.choose([TunnelWebSocket.subprotocol]) else {
            throw APIError.badRequest(
                "the tunnel speaks the WebSocket subprotocol \(TunnelWebSocket.subprotocol), not \(upgrade.protocols)")
        }
        guard let connection else { throw APIError.internal("no connection to switch") }
        connection.switchToWebSocket(tunnels.session(node: node))
        return upgrade.response(subprotocol: subprotocol)
    }

    static let nodeNameHeader = HTTPField.Name("X-Skiff-Node-Name")!
    static let nodePasswordHeader = HTTPField.Name("X-Skiff-Node-Password")!

    /// `POST /v1-skiff/node-certificate`: the body is a PEM certificate request; `X-Skiff-Node-Name` and
    /// `X-Skiff-Node-Password` say for which node (see `NodeRegistrar`). Callers with a join token (the server token or
    /// a bootstrap token) or a node certificate only, and a node's own certificate renews only that node's.
    private func nodeCertificate(_ request: inout Request, user: UserInfo) async throws -> Response {
        guard request.method == .post else {
            throw APIError.methodNotAllowed("node certificates are requested with POST")
        }
        guard let nodeRegistrar else { throw APIError.unknownPath }
        guard user.nodeName != nil || user.mayOnlyJoin else {
            throw APIError.forbidden("user \"\(user.name)\" cannot request node certificates: only joining nodes can")
        }
        guard let node = request.headers[Self.nodeNameHeader], let password = request.headers[Self.nodePasswordHeader]
        else {
            throw APIError.badRequest(
                "a node certificate request needs the X-Skiff-Node-Name and X-Skiff-Node-Password headers")
        }
        if user.name.hasPrefix("system:node:"), user.name != "system:node:\(node)" {
            throw APIError.forbidden("user \"\(user.name)\" cannot request a certificate for node \"\(node)\"")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 64 * 1024) } catch {
            throw APIError.tooLarge("a certificate request over 64 KiB")
        }
        let pem = try await nodeRegistrar.register(
            node: node, password: password, csrPEM: String(buffer: body), registry: registry)
        return Self.bytes(.ok, Array(pem.utf8), contentType: "application/x-pem-file")
    }

    // MARK: Responses

    /// A JSON body as upstream writes it (Go's `json.Encoder`): compact, ending with a newline.
    static func json(_ status: HTTPResponse.Status, _ value: JSON, contentType: String = "application/json") -> Response
    {
        var body = value.serialized()
        body.append(UInt8(ascii: "\n"))
        return bytes(status, body, contentType: contentType)
    }

    static func bytes(_ status: HTTPResponse.Status, _ bytes: [UInt8], contentType: String = "application/json")
        -> Response
    {
        Response(
            status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Upstream's answer while the server shuts down: 503 `ServiceUnavailable`, `Retry-After: 1` (another server
    /// may answer at once) and `Connection: close`, so the client leaves this connection.
    static var shuttingDown: Response {
        var response = error(APIError(code: 503, reason: "ServiceUnavailable", message: "apiserver is shutting down"))
        response.headers[.retryAfter] = "1"
        response.headers[.connection] = "close"
        return response
    }

    static func error(_ error: APIError) -> Response {
        var response = json(HTTPResponse.Status(code: error.code), error.status)
        if let retry = error.retryAfterSeconds { response.headers[.retryAfter] = String(retry) }
        return response
    }
}

/// OpenAPI documents are generated once per set of served types (custom resources change it) and reused.
final class OpenAPICache: Sendable {
    private let cached = Mutex<(types: [ResourceType], documents: OpenAPIDocuments)?>(nil)

    func documents(for resources: ResourceRegistry) -> OpenAPIDocuments {
        if let hit = cached.withLock({ $0 }), hit.types == resources.types { return hit.documents }
        let documents = OpenAPIDocuments(resources: resources)
        cached.withLock { $0 = (resources.types, documents) }
        return documents
    }
}
