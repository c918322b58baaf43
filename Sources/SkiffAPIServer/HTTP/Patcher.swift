import Foundation
import SkiffModel
import SkiffStore

/// Applies one PATCH body to the live object according to its media type.
struct Patcher {
    let type: ResourceType
    let mediaType: RequestBody.MediaType
    let patch: JSON
    let fieldManager: String?
    let force: Bool
    let subresource: String?
    let now: Date

    /// The patched object; `live` is nil only for server-side apply of an absent object (which creates it).
    func apply(to live: JSON?) throws(APIError) -> JSON {
        do {
            switch (mediaType, live) {
            case (.applyPatch, _):
                return try ServerSideApply(registry: BuiltinSchemas.registry).apply(
                    patch, to: live, kind: type.groupVersionKind, manager: fieldManager ?? "", force: force, now: now,
                    subresource: subresource)
            case (_, nil):
                throw APIError.notFound(type, patch.name ?? "")
            case (.mergePatch, let live?):
                return try JSONMergePatch.apply(patch, to: live)
            case (.jsonPatch, let live?):
                return try JSONPatch(parsing: patch).apply(to: live)
            case (.strategicMergePatch, let live?):
                guard let schema = BuiltinSchemas.registry.schema(for: type.groupVersionKind) else {
                    // Upstream refuses strategic merge for kinds without Go types (custom resources).
                    throw APIError.unsupportedMediaType("application/strategic-merge-patch+json")
                }
                return try StrategicMergePatch(registry: BuiltinSchemas.registry).apply(patch, to: live, schema: schema)
            case (.json, _), (.yaml, _), (.protobuf, _):
                throw APIError.unsupportedMediaType("")
            }
        } catch let error as PatchError {
            throw error.apiError
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internal(String(describing: error))
        }
    }
}

/// Label and field selectors from the query, matched against objects.
struct ObjectFilter: Sendable {
    let labels: LabelSelector?
    let fields: FieldSelector?
    let resource: String

    init(query: QueryParameters, resource: String) throws(APIError) {
        self.resource = resource
        do {
            let labelText = query["labelSelector"] ?? ""
            labels =
                labelText.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try LabelSelector(parsing: labelText)
            let fieldText = query["fieldSelector"] ?? ""
            if fieldText.trimmingCharacters(in: .whitespaces).isEmpty {
                fields = nil
            } else {
                let selector = try FieldSelector(parsing: fieldText)
                try selector.validate(resource: resource)
                fields = selector
            }
        } catch {
            throw error.apiError
        }
    }

    var isEmpty: Bool { labels == nil && fields == nil }

    /// The filter as the registry's list takes it; nil when everything matches (no object is parsed then).
    var storeFilter: (@Sendable (KeyValue) throws(APIError) -> Bool)? {
        if isEmpty { return nil }
        let filter = self
        return { kv throws(APIError) in filter.matches(try StoredBytes.decode(kv)) }
    }

    func matches(_ object: JSON) -> Bool {
        if let labels, !labels.matches(object: object) { return false }
        if let fields, !fields.matches(object, resource: resource) { return false }
        return true
    }
}
