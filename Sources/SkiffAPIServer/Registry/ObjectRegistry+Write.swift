import Foundation
import SkiffModel
import SkiffStore

/// Options every write accepts.
public struct WriteOptions: Sendable {
    public var dryRun = false
    public var fieldManager: String?
    /// A server-side apply records its own managed fields; other writes record an `Update` entry for the manager.
    public var isApply = false

    public init(dryRun: Bool = false, fieldManager: String? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
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
                [.init(type: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")])
        }
        for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            _ = object.removeValue(at: "metadata", .key(key))
        }
        object["metadata"]["uid"] = .string(ObjectUID.make())
        object["metadata"]["creationTimestamp"] = .string(KubeTimestamp.string(now()))
        if case .object = object["spec"], type.kind != "Namespace" { object["metadata"]["generation"] = .int(1) }
        try Admission.admitCreate(type, &object)
        object = recordManager(options, type, old: nil, new: object, subresource: nil)
        if type.namespaced, let namespace { try await checkNamespaceAcceptsContent(namespace) }
        let reservation = try serviceAllocations.admit(type, &object, old: nil)
        var stored = false
        defer { if !stored { reservation?.rollback() } }

        for _ in 0..<(generateName.isEmpty ? 1 : 8) {
            if !generateName.isEmpty, (input.name ?? "").isEmpty {
                let suffix = String((0..<5).map { _ in Self.suffixAlphabet.randomElement()! })
                object["metadata"]["name"] = .string(generateName + suffix)
            }
            let name = object.name ?? ""
            try Admission.validateName(type, name)
            let bytes = StoredBytes.encode(object)
            if options.dryRun {
                return KeyValue(key: Self.key(type, namespace: namespace, name: name), value: bytes, createRevision: 0, modRevision: 0)
            }
            do {
                let kv = try await store.create(Self.key(type, namespace: namespace, name: name), value: bytes)
                stored = true
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
                "the kind of the provided object (\(kind)) does not match the resource \(type.qualifiedResource) (\(type.kind))")
        }
        if let apiVersion = object.apiVersion, !apiVersion.isEmpty, apiVersion != type.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))")
        }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
    }

    func checkNamespaceAcceptsContent(_ namespace: String) async throws(APIError) {
        if activeNamespaces.isActive(namespace) { return }
        let namespaces = Self.namespaceType
        guard let kv = try await storeCall({ () async throws(StoreError) in
            try await self.store.get(Self.key(namespaces, namespace: nil, name: namespace))
        }) else {
            throw APIError.notFound(namespaces, namespace)
        }
        let object = try decode(kv)
        if object.deletionTimestamp != nil || object["status"]["phase"].stringValue == "Terminating" {
            throw APIError.forbidden(
                "unable to create new content in namespace \(namespace) because it is being terminated")
        }
        activeNamespaces.markActive(namespace)
    }

    static let namespaceType = ResourceRegistry().lookup(group: "", version: "v1", resource: "namespaces")!

    // MARK: Update

    /// Read-modify-write with compare-and-swap (upstream `GuaranteedUpdate`). `mutate` gets the live object (nil if
    /// absent) and returns the desired one; a resourceVersion in the result is a precondition. Conflicts caused by
    /// concurrent writers are retried when the caller did not pin a resourceVersion.
    public func update(
        _ type: ResourceType, namespace: String?, name: String, subresource: String? = nil,
        options: WriteOptions = WriteOptions(), createIfMissing: Bool = false,
        mutate: (JSON?) throws(APIError) -> JSON
    ) async throws(APIError) -> (KeyValue, created: Bool) {
        let key = Self.key(type, namespace: namespace, name: name)
        // A namespace being written is read afresh by content creation, during and after the write.
        if type.kind == "Namespace" { activeNamespaces.forget(name) }
        defer { if type.kind == "Namespace" { activeNamespaces.forget(name) } }
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
                options, type, old: live, new: try prepareForUpdate(type, live: live, desired: desired, subresource: subresource),
                subresource: subresource)
            let reservation = subresource == nil ? try serviceAllocations.admit(type, &next, old: live) : nil
            var stored = false
            defer { if !stored { reservation?.rollback() } }
            let bytes = StoredBytes.encode(next)
            if bytes == current.value || options.dryRun {
                return (options.dryRun ? KeyValue(key: key, value: bytes, createRevision: current.createRevision, modRevision: current.modRevision) : current, false)
            }
            do {
                let written = try await store.update(key, value: bytes, expectedRevision: current.modRevision)
                decoded.remember(next, as: written)
                stored = true
                reservation?.commit()
                if next.deletionTimestamp != nil, next.finalizers.isEmpty, Self.namespaceFinalizers(next).isEmpty {
                    // The last finalizer is gone: the pending deletion completes now.
                    if (try? await store.delete(key, expectedRevision: written.modRevision)) != nil {
                        serviceAllocations.released(type, next)
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
    func recordManager(_ options: WriteOptions, _ type: ResourceType, old: JSON?, new: JSON, subresource: String?) -> JSON {
        guard let manager = options.fieldManager, !manager.isEmpty, !options.isApply else { return new }
        return ServerSideApply(registry: BuiltinSchemas.registry).recordUpdate(
            from: old, to: new, kind: type.groupVersionKind, manager: manager, now: now(),
            subresource: subresource == "binding" ? nil : subresource)
    }

    /// Carries system fields over, keeps status or spec depending on the endpoint, bumps generation.
    func prepareForUpdate(_ type: ResourceType, live: JSON, desired: JSON, subresource: String?) throws(APIError) -> JSON {
        var next: JSON
        let hasStatus = type.subresource("status") != nil
        switch subresource {
        case "status":
            next = live
            next["status"] = desired["status"]
            if let labels = desired["metadata"]["labels"].objectValue { next["metadata"]["labels"] = .object(labels) }
            if let annotations = desired["metadata"]["annotations"].objectValue {
                next["metadata"]["annotations"] = .object(annotations)
            }
        case "finalize":
            next = live
            next["spec"]["finalizers"] = desired["spec"]["finalizers"]
        case "binding":
            next = desired
        default:
            next = desired
            if hasStatus { next["status"] = live["status"] }
        }
        for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace"] {
            let value = live["metadata"][key]
            if value.isNull { _ = next.removeValue(at: "metadata", .key(key)) } else { next["metadata"][key] = value }
        }
        _ = next.removeValue(at: "metadata", "resourceVersion")
        if let generation = live["metadata"]["generation"].int64Value, subresource == nil,
            live["spec"] != next["spec"] || (type.kind == "Deployment" && live["metadata"]["annotations"] != next["metadata"]["annotations"])
        {
            next["metadata"]["generation"] = .int(generation + 1)
        }
        if live.deletionTimestamp != nil {
            // A terminating object may only lose finalizers, never gain new ones.
            let added = Set(next.finalizers).subtracting(live.finalizers)
            if !added.isEmpty {
                throw APIError.forbidden(
                    "no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())")
            }
        }
        if subresource == nil { try Admission.admitUpdate(type, &next, old: live) }
        return next
    }

    static func namespaceFinalizers(_ object: JSON) -> [String] {
        guard object.kind == "Namespace" else { return [] }
        return object["spec"]["finalizers"].arrayValue?.compactMap(\.stringValue) ?? []
    }
}

extension ObjectRegistry {
    /// `pods/binding`: assigns an unassigned pod to a node and marks it scheduled.
    public func bind(
        _ type: ResourceType, namespace: String?, name: String, binding: JSON, options: WriteOptions = WriteOptions()
    ) async throws(APIError) {
        guard let node = binding["target"]["name"].stringValue, !node.isEmpty else {
            throw APIError.invalid(type, name, [.init(type: "FieldValueRequired", message: "Required value", field: "target.name")])
        }
        let time = KubeTimestamp.string(now())
        _ = try await update(type, namespace: namespace, name: name, subresource: "binding", options: options) {
            live throws(APIError) in
            guard var pod = live else { throw APIError.notFound(type, name) }
            if let assigned = pod["spec"]["nodeName"].stringValue, !assigned.isEmpty {
                throw APIError.conflict(type, name, "pod \(name) is already assigned to node \"\(assigned)\"")
            }
            if pod.deletionTimestamp != nil {
                throw APIError.conflict(type, name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            pod["spec"]["nodeName"] = .string(node)
            PodConditions.set(&pod, type: "PodScheduled", status: "True", at: time)
            _ = pod.removeValue(at: "metadata", "resourceVersion")
            return pod
        }
    }
}
