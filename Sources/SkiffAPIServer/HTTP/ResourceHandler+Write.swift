import Foundation
import Hummingbird
import NIOCore
import SkiffModel
import SkiffStore

extension ResourceHandler {
    func create(_ request: inout Request) async throws -> Response {
        let object = try await object(&request)
        if let answer = strategy.answerCreate {
            let review = ReviewRequest(user: user, namespace: namespace, body: object, registry: registry)
            return APIResponder.json(.created, try await answer(review))
        }
        try authorizer?.checkCreate(attributes(request), object: object)
        let kv = try await registry.create(type, namespace: namespace, object: object, options: try writeOptions)
        return try served(kv, status: .created, accept: request.headers[.accept])
    }

    func replace(_ name: String, _ request: inout Request) async throws -> Response {
        let body = try await object(&request)
        if subresource == "scale" {
            return try await updateScale(name) { _ throws(APIError) in body }
        }
        guard subresource == nil || subresource == "status" || subresource == "finalize" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let rest = strategy.rest
        if subresource == nil, !rest.allowUnconditionalUpdate, (body.resourceVersion ?? "").isEmpty {
            throw APIError.invalid(
                type, name,
                [
                    .init(
                        type: "FieldValueInvalid", message: "Invalid value: 0x0: must be specified for an update",
                        field: "metadata.resourceVersion")
                ])
        }
        let (kv, created) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource, options: try writeOptions,
            createIfMissing: subresource == nil && rest.allowCreateOnUpdate
        ) { _ throws(APIError) in body }
        return try served(kv, status: created ? .created : .ok, accept: request.headers[.accept])
    }

    func patch(_ name: String, _ request: inout Request) async throws -> Response {
        let contentType = request.headers[.contentType]
        guard let mediaType = RequestBody.mediaType(contentType),
            [.mergePatch, .jsonPatch, .strategicMergePatch, .applyPatch].contains(mediaType)
        else {
            throw APIError.unsupportedMediaType(contentType ?? "")
        }
        let decoded = try RequestBody.decode(try await body(&request), as: mediaType)
        if !decoded.duplicateFields.isEmpty { try checkStrict(.emptyObject, duplicates: decoded.duplicateFields) }
        let patcher = Patcher(
            type: type, mediaType: mediaType, patch: decoded.value, fieldManager: query["fieldManager"],
            force: try query.bool("force"), subresource: subresource, now: registry.now())
        if mediaType == .applyPatch, (query["fieldManager"] ?? "").isEmpty {
            throw APIError.badRequest(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        if subresource == "scale" {
            return try await updateScale(name) { scale throws(APIError) in try patcher.apply(to: scale) }
        }
        var options = try writeOptions
        options.isApply = mediaType == .applyPatch
        let (kv, created) = try await registry.update(
            type, namespace: namespace, name: name, subresource: subresource, options: options,
            createIfMissing: mediaType == .applyPatch && subresource == nil
        ) { live throws(APIError) in
            let patched = try patcher.apply(to: live)
            try checkStrict(patched)
            return patched
        }
        return try served(kv, status: created ? .created : .ok, accept: request.headers[.accept])
    }

    /// Reads the parent as a Scale, lets `change` produce the new Scale, and writes its replicas back.
    func updateScale(_ name: String, _ change: (JSON) throws(APIError) -> JSON) async throws -> Response {
        let (kv, _) = try await registry.update(type, namespace: namespace, name: name, options: try writeOptions) {
            live throws(APIError) in
            guard var live else { throw APIError.notFound(type, name) }
            let scale = try change(try Scale.from(live, strategy: strategy.rest))
            if let version = scale.resourceVersion, !version.isEmpty, version != live.resourceVersion {
                throw APIError.conflict(type, name)
            }
            live["spec"]["replicas"] = .int(try Scale.replicas(scale))
            _ = live.removeValue(at: "metadata", "resourceVersion")
            return live
        }
        return APIResponder.json(.ok, try Scale.from(try StoredBytes.decode(kv), strategy: strategy.rest))
    }

    /// POST on an object's subresource: binding, eviction, token (only the resources that declare one get here).
    func createSubresource(_ name: String, _ request: inout Request) async throws -> Response {
        if subresource == "token" { return try await createToken(name, &request) }
        if type.resource == "pods", subresource == "exec" || subresource == "attach" {
            return try await podSession(name, request)  // kubectl's SPDY fallback (POST): refused, it needs the upgrade
        }
        if type.resource == "pods", subresource == "portforward" { return try await podPortForward(name, request) }
        let body = try await object(&request)
        switch subresource {
        case "binding":
            try await registry.bind(type, namespace: namespace, name: name, binding: body, options: try writeOptions)
            return APIResponder.json(.created, Self.success())
        case "eviction":
            var options = DeleteOptions()
            if case .object = body["deleteOptions"] { options = try DeleteOptions(json: body["deleteOptions"]) }
            _ = try await registry.delete(type, namespace: namespace, name: name, options: options)
            return APIResponder.json(.created, Self.success())
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    func delete(_ name: String, _ request: inout Request) async throws -> Response {
        guard subresource == nil else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let options = try await deleteOptions(&request)
        switch try await registry.delete(type, namespace: namespace, name: name, options: options) {
        case .deleted(let kv):
            if strategy.rest.returnsDeletedObject { return try served(kv, accept: nil) }
            let object = try StoredBytes.decode(kv)
            return APIResponder.json(
                .ok, Self.success(name: name, group: type.group, kind: type.resource, uid: object.uid))
        case .pending(let kv):
            return try served(kv, accept: nil)
        }
    }

    func deleteCollection(_ request: inout Request) async throws -> Response {
        guard type.supports("deletecollection") else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let options = try await deleteOptions(&request)
        let filter = try ObjectFilter(query: query, resource: type.resource)
        let page = try await registry.list(type, namespace: namespace, filter: filter.storeFilter)
        // As upstream, the answer is the list of what was deleted: each object as last stored, or, when it waits
        // for finalizers, with its deletionTimestamp.
        var deleted: [KeyValue] = []
        for item in page.items {
            let object = try StoredBytes.decode(item)
            do {
                switch try await registry.delete(
                    type, namespace: object.namespace, name: object.name ?? "", options: options)
                {
                case .deleted(let kv), .pending(let kv): deleted.append(kv)
                }
            } catch {
                if error.code != 404 { throw error }  // 404: deleted concurrently
            }
        }
        return listResponse(deleted, revision: page.revision, continueToken: nil)
    }

    /// Delete options from the body (kubectl: JSON; client-go's typed clients such as helm's: protobuf) and the
    /// query (Python client, curl).
    func deleteOptions(_ request: inout Request) async throws(APIError) -> DeleteOptions {
        let contentType = request.headers[.contentType]
        let bytes = try await body(&request)
        var options = DeleteOptions()
        if !bytes.isEmpty {
            guard let mediaType = RequestBody.mediaType(contentType), [.json, .yaml, .protobuf].contains(mediaType)
            else {
                throw APIError.unsupportedMediaType(contentType ?? "")
            }
            options = try DeleteOptions(json: try RequestBody.decode(bytes, as: mediaType).value)
        }
        if let policy = query["propagationPolicy"] {
            options.propagation = try DeleteOptions(json: ["propagationPolicy": .string(policy)]).propagation
        }
        if let grace = try query.int("gracePeriodSeconds") { options.gracePeriodSeconds = grace }
        if query.all("dryRun").contains("All") { options.dryRun = true }
        return options
    }

    static func success(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil) -> JSON {
        var status: JSON = ["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success"]
        if let name {
            // Upstream's StatusDetails fields are omitempty: the core group is no "group" at all.
            var details: JSON = ["name": .string(name)]
            if let group, !group.isEmpty { details["group"] = .string(group) }
            if let kind, !kind.isEmpty { details["kind"] = .string(kind) }
            if let uid { details["uid"] = .string(uid) }
            status["details"] = details
        }
        return status
    }
}
