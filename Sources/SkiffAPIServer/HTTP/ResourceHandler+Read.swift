import Foundation
import Hummingbird
import NIOCore
import SkiffModel
import SkiffStore

extension ResourceHandler {
    func get(_ name: String, _ request: Request) async throws -> Response {
        let kv = try await registry.get(type, namespace: namespace, name: name)
        switch subresource {
        case nil, "status":
            return try served(kv, accept: request.headers[.accept])
        case "scale":
            return APIResponder.json(.ok, try Scale.from(try StoredBytes.decode(kv), strategy: strategy.rest))
        case "log" where type.resource == "pods":
            return try await podLog(name)
        case "exec" where type.resource == "pods", "attach" where type.resource == "pods":
            return try await podSession(name, request)
        case "portforward" where type.resource == "pods":
            return try await podPortForward(name, request)
        case "log", "exec", "attach", "portforward", "proxy":
            throw APIError(
                code: 503, reason: "ServiceUnavailable",
                message:
                    "no kubelet is connected for \(type.resource) \"\(name)\" (\(subresource ?? "") needs a node agent)"
            )
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    func list(_ request: Request) async throws -> Response {
        let filter = try ObjectFilter(query: query, resource: type.resource)
        let page = try await listPage(filter: filter)
        let continueToken = page.continueAfter.map { ContinueToken(revision: page.revision, after: $0).encoded }
        switch Negotiation.representation(request.headers[.accept]) {
        case .object:
            return listResponse(page.items, revision: page.revision, continueToken: continueToken)
        case .table(let version):
            var objects: [JSON] = []
            for item in page.items { objects.append(try StoredBytes.decode(item)) }
            return APIResponder.json(
                .ok,
                TablePrinter.table(
                    for: type, objects: objects, include: Negotiation.includeObject(query["includeObject"]),
                    resourceVersion: String(page.revision), continueToken: continueToken, columnDefinitions: true,
                    version: version, printerColumns: type.printerColumns, now: registry.now()))
        case .partialObjectMetadataList(let version):
            var objects: [JSON] = []
            for item in page.items { objects.append(try StoredBytes.decode(item)) }
            return APIResponder.json(
                .ok,
                Representation.partialObjectMetadataList(
                    of: objects, version: version, resourceVersion: String(page.revision),
                    continueToken: continueToken))
        case .partialObjectMetadata:
            throw Negotiation.notAcceptable("PartialObjectMetadata", "a list (\(type.listKind))")
        }
    }

    /// A `<Kind>List` of stored objects, spliced from their stored bytes without parsing them.
    func listResponse(_ items: [KeyValue], revision: Revision, continueToken: String?) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(items.reduce(256) { $0 + $1.value.count + 32 })
        out.append(contentsOf: #"{"kind":""#.utf8)
        out.append(contentsOf: type.listKind.utf8)
        out.append(contentsOf: #"","apiVersion":""#.utf8)
        out.append(contentsOf: type.apiVersion.utf8)
        out.append(contentsOf: #"","metadata":{"resourceVersion":""#.utf8)
        out.append(contentsOf: String(revision).utf8)
        out.append(UInt8(ascii: "\""))
        if let continueToken {
            out.append(contentsOf: #","continue":""#.utf8)
            out.append(contentsOf: continueToken.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #"},"items":["#.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            StoredBytes.append(item.value, revision: item.modRevision, to: &out)
        }
        out.append(contentsOf: "]}\n".utf8)
        return APIResponder.bytes(.ok, out)
    }

    /// Reads the page the query asks for: `limit`, `continue`, `resourceVersion` (+`resourceVersionMatch`).
    func listPage(filter: ObjectFilter) async throws(APIError) -> ObjectRegistry.Page {
        let limit = try query.int("limit")
        var startAfter: String?
        var revision: Revision?
        if let token = query["continue"], !token.isEmpty {
            let parsed = try ContinueToken(decoding: token)
            guard parsed.after.hasPrefix(ObjectRegistry.prefix(type, namespace: namespace)) else {
                throw APIError.badRequest("continue key is not valid for this request")
            }
            startAfter = parsed.after
            revision = parsed.revision
        } else if let version = query["resourceVersion"], !version.isEmpty, version != "0",
            query["resourceVersionMatch"] == "Exact"
        {
            guard let exact = Revision(version) else {
                throw APIError.badRequest("invalid resourceVersion \"\(version)\"")
            }
            revision = exact
        }
        let matcher = filter.storeFilter
        do {
            return try await registry.list(
                type, namespace: namespace, startAfter: startAfter, limit: limit, revision: revision, filter: matcher)
        } catch {
            guard error.code == 410, startAfter != nil else { throw error }
            throw APIError.expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
            )
        }
    }
}

/// The opaque `continue` token: the revision the list started at and the last key returned.
struct ContinueToken {
    var revision: Revision
    var after: String

    var encoded: String {
        let json: JSON = ["rv": .int(revision), "start": .string(after)]
        return Data(json.serialized()).base64EncodedString()
    }

    init(revision: Revision, after: String) {
        self.revision = revision
        self.after = after
    }

    init(decoding token: String) throws(APIError) {
        guard let data = Data(base64Encoded: token), let json = try? JSON(parsing: [UInt8](data)),
            let revision = json["rv"].int64Value, let after = json["start"].stringValue
        else {
            throw APIError.badRequest("continue key is not valid")
        }
        self.revision = revision
        self.after = after
    }
}
