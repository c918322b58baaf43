import SkiffModel
import SkiffStore

/// `DeleteOptions` as clients send them (body or query).
public struct DeleteOptions: Sendable, Equatable {
    public enum Propagation: String, Sendable {
        case background = "Background", foreground = "Foreground", orphan = "Orphan"
    }

    public var propagation: Propagation?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int?
    public var dryRun = false

    public init() {}

    /// Reads a `DeleteOptions` object; unknown propagation policies are refused.
    public init(json: JSON) throws(APIError) {
        if let policy = json["propagationPolicy"].stringValue {
            guard let propagation = Propagation(rawValue: policy) else {
                throw APIError.badRequest(
                    "propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Background\", \"Foreground\", \"Orphan\""
                )
            }
            self.propagation = propagation
        } else if json["orphanDependents"].boolValue == true {
            propagation = .orphan
        }
        preconditionUID = json["preconditions"]["uid"].stringValue
        preconditionResourceVersion = json["preconditions"]["resourceVersion"].stringValue
        gracePeriodSeconds = json["gracePeriodSeconds"].intValue
        dryRun = json["dryRun"].arrayValue?.contains("All") == true
    }
}

extension ObjectRegistry {
    /// What a delete did: the object is gone, or it waits for finalizers (it then carries a deletionTimestamp).
    public enum DeleteOutcome: Sendable {
        case deleted(KeyValue)
        case pending(KeyValue)
    }

    public func delete(
        _ type: ResourceType, namespace: String?, name: String, options: DeleteOptions = DeleteOptions()
    ) async throws(APIError) -> DeleteOutcome {
        let strategy = strategies[type]
        try await admit(
            AdmissionRequest(operation: .delete, type: type, namespace: namespace, name: name, dryRun: options.dryRun))
        let key = Self.key(type, namespace: namespace, name: name)
        strategy.hooks?.writeBoundary(type, name: name)
        defer { strategy.hooks?.writeBoundary(type, name: name) }
        for _ in 0..<16 {
            let current = try await get(type, namespace: namespace, name: name)
            var object = try decode(current)
            if let uid = options.preconditionUID, uid != object.uid {
                throw APIError.conflict(
                    type, name,
                    "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.uid ?? "")")
            }
            if let version = options.preconditionResourceVersion, version != String(current.modRevision) {
                throw APIError.conflict(
                    type, name,
                    "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(current.modRevision)"
                )
            }
            var finalizers = object.finalizers
            if garbageCollection {
                switch options.propagation {
                case .foreground where !finalizers.contains("foregroundDeletion"):
                    finalizers.append("foregroundDeletion")
                case .orphan where !finalizers.contains("orphan"): finalizers.append("orphan")
                default: break
                }
            }
            let waitsForFinalizers = !finalizers.isEmpty || !strategy.rest.deletionFinalizers(object).isEmpty
            if waitsForFinalizers {
                if object.deletionTimestamp != nil, finalizers == object.finalizers {
                    return .pending(current)  // already terminating, nothing changes
                }
                if object.deletionTimestamp == nil {
                    object["metadata"]["deletionTimestamp"] = .string(KubeTimestamp.string(now()))
                    object["metadata"]["deletionGracePeriodSeconds"] = .int(0)
                }
                object["metadata"]["finalizers"] = .array(finalizers.map { .string($0) })
                strategy.rest.prepareForDeletion(&object)
                if options.dryRun { return .pending(current) }
                do {
                    return .pending(
                        try await store.update(
                            key, value: StoredBytes.encode(object), expectedRevision: current.modRevision))
                } catch let error where error.code == .conflict {
                    continue
                } catch {
                    _ = try await storeCall({ () async throws(StoreError) in throw error })
                }
            }
            if options.dryRun { return .deleted(current) }
            do {
                let deleted = try await store.delete(key, expectedRevision: current.modRevision)
                strategy.hooks?.afterDelete(type, object)
                return .deleted(deleted)
            } catch let error where error.code == .conflict {
                continue
            } catch let error where error.code == .keyNotFound {
                throw APIError.notFound(type, name)
            } catch {
                _ = try await storeCall({ () async throws(StoreError) in throw error })
            }
        }
        throw APIError.conflict(type, name, "too many concurrent updates, please retry")
    }
}
