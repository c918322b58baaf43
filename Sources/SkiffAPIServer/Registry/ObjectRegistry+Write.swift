import Foundation
import SkiffModel
import SkiffStore

/// Options every write accepts.
public struct WriteOptions: Sendable {
    public var dryRun = false
    public var fieldManager: String?
    /// A server-side apply records its own managed fields; other writes record an `Update` entry for the manager.
    public var isApply = false
    /// Who writes, for the admission steps that judge the writer (RBAC escalation); nil: the server itself.
    public var user: UserInfo?
    /// Where admission steps leave warnings for the client (`Warning:` headers); nil: nobody listens.
    public var warnings: AdmissionWarnings?

    public init(
        dryRun: Bool = false, fieldManager: String? = nil, user: UserInfo? = nil, warnings: AdmissionWarnings? = nil
    ) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.user = user
        self.warnings = warnings
    }
}

extension ObjectRegistry {
    /// Upstream's generateName suffix alphabet (no vowels, no confusable digits).
    private static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    // MARK: Create

    /// Creates an object: sets system metadata, admits it, checks its namespace and stores it.
    public func create(
        _ type: ResourceType, namespace: String?, object input: JSON, options: WriteOptions = WriteOptions()
    ) async throws(APIError) -> KeyValue {
        let strategy = strategies[type]
        var object = input
        try Self.checkTypeMeta(type, &object)
        if type.namespaced {
            guard let namespace else { throw APIError.badRequest("the namespace of the object is required") }
            if let bodyNamespace = object.namespace, !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            object["metadata"]["namespace"] = .string(namespace)
        } else {
            _ = object.removeValue(at: "metadata", "namespace")
        }
        let generateName = object["metadata"]["generateName"].stringValue ?? ""
        if (object.name ?? "").isEmpty, generateName.isEmpty {
            throw APIError.invalid(
                type, "",
                [
                    .init(
                        type: "FieldValueRequired", message: "Required value: name or generateName is required",
                        field: "metadata.name")
                ])
        }
        for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            _ = object.removeValue(at: "metadata", .key(key))
        }
        object["metadata"]["uid"] = .string(ObjectUID.make())
        object["metadata"]["creationTimestamp"] = .string(KubeTimestamp.string(now()))
        if strategy.rest.tracksGeneration, case .object = object["spec"] { object["metadata"]["generation"] = .int(1) }
        strategy.rest.prepareForCreate(&object)
        try strategy.rest.validate(object, type: type)
        strategy.rest.canonicalize(&object)
        object = recordManager(options, type, old: nil, new: object, subresource: nil)
        try await admit(
            AdmissionRequest(
                operation: .create, type: type, namespace: namespace, name: object.name ?? "", object: object,
                dryRun: options.dryRun, user: options.user, warnings: options.warnings))
        let completion = try strategy.hooks?.beginCreate(type, &object)
        var stored = false
        defer { if !stored { completion?.rollback() } }

        for _ in 0..<(generateName.isEmpty ? 1 : 8) {
            if !generateName.isEmpty, (input.name ?? "").isEmpty {
                let suffix = String((0..<5).map { _ in Self.suffixAlphabet.randomElement()! })
                object["metadata"]["name"] = .string(generateName + suffix)
            }
            let name = object.name ?? ""
            try strategy.rest.validateName(name, type: type)
            let bytes = StoredBytes.encode(object)
            if options.dryRun {
                return KeyValue(
                    key: Self.key(type, namespace: namespace, name: name), value: bytes, createRevision: 0,
                    modRevision: 0)
            }
            do {
                let kv = try await store.create(Self.key(type, namespace: namespace, name: name), value: bytes)
                stored = true
                completion?.commit()
                decoded.remember(object, as: kv)
                return kv
            } catch let error where error.code == .keyExists {
                if generateName.isEmpty || !(input.name ?? "").isEmpty { throw APIError.alreadyExists(type, name) }
            } catch {
                _ = try await storeCall({ () async throws(StoreError) in throw error })
            }
        }
        throw APIError(
            code: 500, reason: "AlreadyExists",
            message: "failed to generate a unique name for \(type.qualifiedResource) with generateName \(generateName)")
    }

    /// Fills in or checks `kind`/`apiVersion` against the addressed resource.
    static func checkTypeMeta(_ type: ResourceType, _ object: inout JSON) throws(APIError) {
        guard case .object = object else { throw APIError.badRequest("the request body must be a JSON object") }
        if let kind = object.kind, !kind.isEmpty, kind != type.kind {
            throw APIError.badRequest(
                "the kind of the provided object (\(kind)) does not match the resource \(type.qualifiedResource) (\(type.kind))"
            )
        }
        if let apiVersion = object.apiVersion, !apiVersion.isEmpty, apiVersion != type.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))"
            )
        }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
    }

    // MARK: Update

    /// Read-modify-write with compare-and-swap (upstream `GuaranteedUpdate`). `mutate` gets the live object (nil if
    /// absent) and returns the desired one; a resourceVersion in the result is a precondition. Conflicts caused by
    /// concurrent writers are retried when the caller did not pin a resourceVersion.
    public func update(
        _ type: ResourceType, namespace: String?, name: String, subresource: String? = nil,
        options: WriteOptions = WriteOptions(), createIfMissing: Bool = false,
        mutate: (JSON?) throws(APIError) -> JSON
    ) async throws(APIError) -> (KeyValue, created: Bool) {
        let strategy = strategies[type]
        let key = Self.key(type, namespace: namespace, name: name)
        strategy.hooks?.writeBoundary(type, name: name)
        defer { strategy.hooks?.writeBoundary(type, name: name) }
        for _ in 0..<16 {
            let current = try await storeCall({ () async throws(StoreError) in try await self.store.get(key) })
            if current == nil, !createIfMissing { throw APIError.notFound(type, name) }
            let live = try current.map { kv throws(APIError) in try decode(kv) }
            var desired = try mutate(live)
            guard let current, let live else {
                // Server-side apply creates what it does not find.
                desired["metadata"]["name"] = .string(name)
                _ = desired.removeValue(at: "metadata", "resourceVersion")
                return (try await create(type, namespace: namespace, object: desired, options: options), true)
            }
            if let wanted = desired.resourceVersion, !wanted.isEmpty, wanted != String(current.modRevision) {
                throw APIError.conflict(type, name)
            }
            try Self.checkTypeMeta(type, &desired)
            if let bodyName = desired.name, !bodyName.isEmpty, bodyName != name {
                throw APIError.badRequest(
                    "the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
            }
            var next = recordManager(
                options, type, old: live,
                new: try prepareForUpdate(strategy.rest, type, live: live, desired: desired, subresource: subresource),
                subresource: subresource)
            try await admit(
                AdmissionRequest(
                    operation: .update, type: type, namespace: namespace, name: name, subresource: subresource,
                    object: next, old: live, dryRun: options.dryRun, user: options.user, warnings: options.warnings))
            let completion = subresource == nil ? try strategy.hooks?.beginUpdate(type, &next, old: live) : nil
            var stored = false
            defer { if !stored { completion?.rollback() } }
            let bytes = StoredBytes.encode(next)
            if bytes == current.value || options.dryRun {
                return (
                    options.dryRun
                        ? KeyValue(
                            key: key, value: bytes, createRevision: current.createRevision,
                            modRevision: current.modRevision) : current, false
                )
            }
            do {
                let written = try await store.update(key, value: bytes, expectedRevision: current.modRevision)
                decoded.remember(next, as: written)
                stored = true
                completion?.commit()
                if next.deletionTimestamp != nil, next.finalizers.isEmpty,
                    strategy.rest.deletionFinalizers(next).isEmpty
                {
                    // The last finalizer is gone: the pending deletion completes now.
                    if (try? await store.delete(key, expectedRevision: written.modRevision)) != nil {
                        strategy.hooks?.afterDelete(type, next)
                    }
                }
                return (written, false)
            } catch let error where error.code == .conflict {
                // Someone wrote in between: start over from the new live object. A caller that pinned a
                // resourceVersion (a PUT, or a patch carrying one) then fails the precondition above with 409;
                // a patch without one applies again on top of the other write, as upstream's GuaranteedUpdate.
                continue
            } catch let error where error.code == .keyNotFound {
                throw APIError.notFound(type, name)
            } catch {
                _ = try await storeCall({ () async throws(StoreError) in throw error })
            }
        }
        throw APIError.conflict(type, name, "too many concurrent updates, please retry")
    }

    /// Adds the writer's `managedFields` entry (operation Update) so server-side apply can find conflicts with it.
    func recordManager(_ options: WriteOptions, _ type: ResourceType, old: JSON?, new: JSON, subresource: String?)
        -> JSON
    {
        guard let manager = options.fieldManager, !manager.isEmpty, !options.isApply else { return new }
        return ServerSideApply(registry: BuiltinSchemas.registry).recordUpdate(
            from: old, to: new, kind: type.groupVersionKind, manager: manager, now: now(),
            subresource: subresource == "binding" ? nil : subresource)
    }

    /// The object an update stores: the strategy picks the fields the endpoint may change, system metadata is
    /// carried over, the generation follows the spec, and main-endpoint writes are defaulted and validated.
    func prepareForUpdate(
        _ strategy: any ResourceStrategy, _ type: ResourceType, live: JSON, desired: JSON, subresource: String?
    ) throws(APIError) -> JSON {
        var next = strategy.updatedObject(live: live, desired: desired, subresource: subresource, type: type)
        for key in [
            "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace",
        ] {
            let value = live["metadata"][key]
            if value.isNull { _ = next.removeValue(at: "metadata", .key(key)) } else { next["metadata"][key] = value }
        }
        _ = next.removeValue(at: "metadata", "resourceVersion")
        if let generation = live["metadata"]["generation"].int64Value, subresource == nil,
            strategy.generationChanged(live: live, next: next)
        {
            next["metadata"]["generation"] = .int(generation + 1)
        }
        if live.deletionTimestamp != nil {
            // A terminating object may only lose finalizers, never gain new ones.
            let added = Set(next.finalizers).subtracting(live.finalizers)
            if !added.isEmpty {
                throw APIError.forbidden(
                    "no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())"
                )
            }
        }
        if subresource == nil {
            strategy.prepareForUpdate(&next, old: live)
            try strategy.validateUpdate(next, old: live, type: type)
        }
        strategy.canonicalize(&next)
        return next
    }
}
