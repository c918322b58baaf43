import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SkiffModel
import SkiffPKI
import SkiffStore

/// Serves one request against one resource type: the REST verbs, their subresources and watch.
struct ResourceHandler {
    let registry: ObjectRegistry
    let type: ResourceType
    let namespace: String?
    let name: String?
    let subresource: String?
    let query: QueryParameters
    let user: UserInfo
    let logger: Logger
    /// Signs `serviceaccounts/token` responses.
    var serviceAccountKey: ServiceAccountKey? = nil
    /// The client connection; a watch ends as soon as it closes.
    var connection: APIConnection? = nil
    /// The kubelets `pods/log` reaches.
    var kubelets: KubeletDirectory? = nil
    /// Who may do what; nil lets everyone do everything (in-process tests of the generic paths).
    var authorizer: RequestAuthorizer? = nil
    /// What admission has to tell the client (and the audit log) about this request.
    var warnings = AdmissionWarnings()

    func handle(_ request: inout Request) async throws -> Response {
        var response = try await respond(&request)
        for text in warnings.all {
            response.headers.append(HTTPField(name: Self.warningHeader, value: Self.warningValue(text)))
        }
        return response
    }

    static let warningHeader = HTTPField.Name("Warning")!

    /// RFC 7234's `299 - "text"`, the form kubectl prints as `Warning: text`.
    static func warningValue(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "299 - \"\(escaped)\""
    }

    private func respond(_ request: inout Request) async throws -> Response {
        if let subresource, type.subresource(subresource) == nil { throw APIError.unknownPath }
        if type.namespaced, namespace == nil, request.method != .get || name != nil {
            throw APIError.unknownPath
        }
        if !type.namespaced, namespace != nil { throw APIError.unknownPath }
        try await authorizer?.authorize(attributes(request))
        switch (request.method, name) {
        case (.get, nil):
            return try query.bool("watch") ? await watch(request) : await list(request)
        case (.get, let name?):
            return try await get(name, request)
        case (.post, nil):
            return try await create(&request)
        case (.post, let name?):
            return try await createSubresource(name, &request)
        case (.put, let name?):
            return try await replace(name, &request)
        case (.patch, let name?):
            return try await patch(name, &request)
        case (.delete, nil):
            return try await deleteCollection(&request)
        case (.delete, let name?):
            return try await delete(name, &request)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    /// The request in authorization's terms. A WebSocket exec, attach or port-forward is a GET that is authorized as
    /// `create`, as upstream does since 1.31 (it is the same action as the SPDY POST).
    func attributes(_ request: Request) -> RequestAttributes {
        var verb = RequestAttributes.verb(
            method: request.method.rawValue, named: name != nil, watch: (try? query.bool("watch")) ?? false)
        if ["exec", "attach", "portforward"].contains(subresource) { verb = "create" }
        return RequestAttributes(
            user: user, verb: verb, group: type.group, resource: type.resource, subresource: subresource,
            namespace: namespace, name: name)
    }

    /// What this resource does differently (one table lookup).
    var strategy: RegistryStrategy { registry.strategies[type] }

    var writeOptions: WriteOptions {
        get throws(APIError) {
            WriteOptions(
                dryRun: query.all("dryRun").contains("All"), fieldManager: query["fieldManager"], user: user,
                warnings: warnings)
        }
    }

    /// Reads the body, refusing oversized ones with 413 before they are buffered whole.
    func body(_ request: inout Request) async throws(APIError) -> [UInt8] {
        var collected: [UInt8] = []
        do {
            for try await buffer in request.body {
                if collected.count + buffer.readableBytes > APIResponder.maxBodySize {
                    throw APIError.tooLarge("the request body exceeds \(APIResponder.maxBodySize) bytes")
                }
                collected.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("error reading the request body: \(error)")
        }
        return collected
    }

    /// The body as an object, with `fieldValidation=Strict` enforced for duplicate and unknown fields.
    func object(_ request: inout Request) async throws(APIError) -> JSON {
        let contentType = request.headers[.contentType]
        guard let mediaType = RequestBody.mediaType(contentType), [.json, .yaml, .protobuf].contains(mediaType) else {
            throw APIError.unsupportedMediaType(contentType ?? "")
        }
        let bytes = try await body(&request)
        guard !bytes.isEmpty else { throw APIError.badRequest("the request body is empty") }
        let decoded = try RequestBody.decode(bytes, as: mediaType)
        try checkStrict(decoded)
        guard case .object = decoded.value else { throw APIError.badRequest("the request body must be a JSON object") }
        return decoded.value
    }

    func checkStrict(_ decoded: RequestBody.Decoded) throws(APIError) {
        try checkStrict(decoded.value, duplicates: decoded.duplicateFields)
    }

    /// `fieldValidation=Strict`: repeated and unknown fields are a 400. Patches are checked on their result (their
    /// bodies carry directives such as `$setElementOrder/…`), as upstream does.
    func checkStrict(_ object: JSON, duplicates: [String] = []) throws(APIError) {
        guard query["fieldValidation"] == "Strict" else { return }
        var problems = duplicates
        if let unknown = UnknownFieldValidator().unknownFields(in: object, kind: type.groupVersionKind) {
            problems += UnknownFieldValidator.messages(unknown)
        }
        guard !problems.isEmpty else { return }
        throw APIError.badRequest("strict decoding error: " + problems.joined(separator: ", "))
    }

    // MARK: Responses

    func served(_ kv: KeyValue, status: HTTPResponse.Status = .ok, accept: String?) throws(APIError) -> Response {
        switch Negotiation.representation(accept) {
        case .object:
            break
        case .table(let version):
            let object = try StoredBytes.decode(kv)
            return APIResponder.json(
                status,
                TablePrinter.table(
                    for: type, objects: [object], include: Negotiation.includeObject(query["includeObject"]),
                    resourceVersion: nil, continueToken: nil, columnDefinitions: true, version: version,
                    printerColumns: type.printerColumns, now: registry.now()))
        case .partialObjectMetadata(let version):
            return APIResponder.json(
                status, Representation.partialObjectMetadata(of: try StoredBytes.decode(kv), version: version))
        case .partialObjectMetadataList:
            throw Negotiation.notAcceptable("PartialObjectMetadataList", "not a list (\(type.kind))")
        }
        // A dry-run create has no revision yet; serve it without one. The body ends with a newline, as upstream's.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(kv.value.count + 32)
        if kv.modRevision == 0 {
            bytes.append(contentsOf: kv.value)
        } else {
            StoredBytes.append(kv.value, revision: kv.modRevision, to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
        return APIResponder.bytes(status, bytes)
    }
}
