import Foundation

/// Server-side apply (`application/apply-patch+yaml`) and the `managedFields` bookkeeping behind it, simplified
/// from structured-merge-diff:
///
/// - The applied configuration merges into the live object with strategic-merge semantics (lists by merge key,
///   primitive `merge` lists as sets, other lists atomic).
/// - The applier owns exactly the fields its configuration names; fields it owned before and no longer names are
///   removed from the object unless another manager owns them (or something below them).
/// - Changing a field that another manager owns is a 409 conflict naming each field, unless `force`, in which case
///   ownership moves to the applier.
/// - Updates (create, PUT, non-apply PATCH) record `operation: Update` entries for the fields they add or change,
///   taking those fields away from other managers, so a later apply can detect conflicts.
///
/// Not modelled: version conversion of managed fields, the `before-first-apply` manager, capping Update managers at
/// ten, atomic struct or map types (`x-kubernetes-map-type: atomic`), and defaulted list-map keys (a key field
/// missing from an item is left out of that item's `k:{…}`). Creating an object that does not exist is the API
/// server's job: pass `live: nil`.
public struct ServerSideApply: Sendable {
    /// The schemas that give merge keys and list types.
    public var registry: SchemaRegistry

    /// An applier over `registry`.
    public init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Applies `configuration` for `manager` to `live` (nil when creating) and returns the new object with its
    /// `metadata.managedFields`; throws a 409 ``PatchError`` listing conflicts unless `force`.
    public func apply(
        _ configuration: JSON, to live: JSON?, kind: GroupVersionKind, manager: String, force: Bool = false,
        now: Date = Date(), subresource: String? = nil, ignoredFields: Set<String> = []
    ) throws(PatchError) -> JSON {
        guard !manager.isEmpty else {
            throw .notApplicable("fieldManager: Required value: is required for apply patch")
        }
        guard case .object = configuration else { throw .invalid("invalid apply configuration: expected an object") }
        if configuration["metadata"].contains(key: "managedFields"), !configuration["metadata"]["managedFields"].isNull
        {
            throw .invalid("metadata.managedFields must be nil")
        }
        if let version = configuration["apiVersion"].stringValue, version != kind.apiVersion {
            throw .invalid(
                "Incorrect version specified in apply patch. Specified patch version: \(version), "
                    + "expected: \(kind.apiVersion)"
            )
        }
        let walker = FieldSetWalker(registry: registry, root: registry.schema(for: kind), ignoredFields: ignoredFields)
        var entries = ManagedFieldsEntry.entries(of: live ?? .null)
        let liveObject = Self.withoutManagedFields(live ?? .emptyObject)
        let appliedSet = walker.fieldSet(of: configuration)

        // Fields the endpoint ignores (e.g. `status` on the main resource) neither merge nor become owned.
        var applied = configuration
        for field in ignoredFields { applied.removeValue(forKey: field) }
        var merged = try StrategicMergePatch(registry: registry).apply(
            applied, to: liveObject, schema: registry.schema(for: kind))

        let identity = ManagedFieldsEntry.Identity(
            manager: manager, operation: .apply, apiVersion: "", subresource: subresource ?? "")
        let previous = entries.firstIndex { $0.identity == identity }.map { entries.remove(at: $0) }
        let applier = ManagedFieldsEntry(
            manager: manager, operation: .apply, apiVersion: kind.apiVersion,
            time: previous?.fields == appliedSet ? previous?.time : KubeTimestamp.string(now), fields: appliedSet,
            subresource: subresource)

        // Fields this manager applied before and no longer names go away, unless someone else still owns them.
        if let lastSet = previous?.fields {
            let owned = entries.reduce(appliedSet) { $0.union($1.fields) }
            for path in lastSet.subtracting(appliedSet).sortedPaths.reversed()
            where !owned.contains(path) && !owned.hasDescendant(of: path) && !Self.isKeyField(path) {
                merged = FieldSetWalker.removing(path.elements[...], from: merged)
            }
        }

        let comparison = walker.compare(liveObject, merged)
        let changed = comparison.added.union(comparison.modified)
        var conflicts: [(entry: ManagedFieldsEntry, fields: FieldSet)] = []
        for entry in entries {
            let overlap = entry.fields.intersection(changed)
            if !overlap.isEmpty { conflicts.append((entry, overlap)) }
        }
        if !force && !conflicts.isEmpty {
            throw Self.conflictError(conflicts)
        }
        let touched = changed.union(comparison.removed)
        for index in entries.indices where !entries[index].fields.isDisjoint(with: touched) {
            entries[index].fields = entries[index].fields.subtracting(touched)
        }
        entries.append(applier)
        return Self.withManagedFields(merged, entries.filter { !$0.fields.isEmpty })
    }

    /// Records a create, update or non-apply patch by `manager`: the fields it added or changed become its own
    /// (`operation: Update`) and leave other managers; removed fields leave everyone. Returns `new` with its
    /// `metadata.managedFields` set. A `new` object carrying managed fields keeps them (clients may reset them with
    /// `[{}]`); one without takes those of `old`.
    public func recordUpdate(
        from old: JSON?, to new: JSON, kind: GroupVersionKind, manager: String, now: Date = Date(),
        subresource: String? = nil, ignoredFields: Set<String> = []
    ) -> JSON {
        guard !manager.isEmpty else { return new }
        let walker = FieldSetWalker(registry: registry, root: registry.schema(for: kind), ignoredFields: ignoredFields)
        var entries = ManagedFieldsEntry.entries(of: new).filter { !$0.manager.isEmpty }
        let sentManagedFields = new["metadata"]["managedFields"].arrayValue.map { !$0.isEmpty } ?? false
        if old == nil, !sentManagedFields {
            // A create: every field is the writer's and nobody else has any. One walk straight to fieldsV1.
            let fields = walker.addedFieldsV1(Self.withoutManagedFields(new))
            guard let encoded = fields.objectValue, !encoded.isEmpty else { return Self.withoutManagedFields(new) }
            var entry: JSONObject = [
                "manager": .string(manager), "operation": .string(ManagedFieldsEntry.Operation.update.rawValue),
            ]
            entry["apiVersion"] = .string(kind.apiVersion)
            entry["time"] = .string(KubeTimestamp.string(now))
            entry["fieldsType"] = "FieldsV1"
            entry["fieldsV1"] = fields
            if let subresource { entry["subresource"] = .string(subresource) }
            var object = Self.withoutManagedFields(new)
            object["metadata"]["managedFields"] = [.object(entry)]
            return object
        }
        if !sentManagedFields {
            entries = ManagedFieldsEntry.entries(of: old ?? .null)
        }
        let comparison = walker.compare(
            Self.withoutManagedFields(old ?? .emptyObject), Self.withoutManagedFields(new))
        let changed = comparison.added.union(comparison.modified)

        let identity = ManagedFieldsEntry.Identity(
            manager: manager, operation: .update, apiVersion: kind.apiVersion, subresource: subresource ?? "")
        let previous = entries.firstIndex { $0.identity == identity }.map { entries.remove(at: $0) }
        let touched = changed.union(comparison.removed)
        for index in entries.indices where !entries[index].fields.isDisjoint(with: touched) {
            entries[index].fields = entries[index].fields.subtracting(touched)
        }
        let mine = (previous?.fields ?? FieldSet()).subtracting(comparison.removed).union(changed)
        if let previous, previous.fields == mine {
            entries.append(previous)  // same fields: same entry, same time
        } else {
            entries.append(
                ManagedFieldsEntry(
                    manager: manager, operation: .update, apiVersion: kind.apiVersion, time: KubeTimestamp.string(now),
                    fields: mine, subresource: subresource))
        }
        return Self.withManagedFields(new, entries.filter { !$0.fields.isEmpty })
    }
}

extension ServerSideApply {
    /// Whether `path` names a key field of the list item it is in (`…[name="app"].name`), which stays as long as
    /// the item does.
    static func isKeyField(_ path: FieldPath) -> Bool {
        guard path.elements.count >= 2, case .field(let name) = path.elements[path.elements.count - 1],
            case .key(let fields) = path.elements[path.elements.count - 2]
        else { return false }
        return fields.contains { $0.name == name }
    }

    static func withoutManagedFields(_ object: JSON) -> JSON {
        var object = object
        if object["metadata"].contains(key: "managedFields") {
            object["metadata"].removeValue(forKey: "managedFields")
        }
        return object
    }

    static func withManagedFields(_ object: JSON, _ entries: [ManagedFieldsEntry]) -> JSON {
        var object = withoutManagedFields(object)
        if !entries.isEmpty {
            object["metadata"]["managedFields"] = .array(ManagedFieldsEntry.sorted(entries).map(\.json))
        }
        return object
    }

    /// Upstream's conflict error: `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas`.
    static func conflictError(_ conflicts: [(entry: ManagedFieldsEntry, fields: FieldSet)]) -> PatchError {
        let ordered = conflicts.sorted { $0.entry.identity < $1.entry.identity }
        var list: [ApplyConflict] = []
        var lines: [String] = []
        for (entry, fields) in ordered {
            lines.append("conflicts with \(entry.conflictName):")
            for path in fields.sortedPaths {
                list.append(ApplyConflict(manager: entry.conflictName, field: path.description))
                lines.append("- \(path)")
            }
        }
        let message =
            list.count == 1
            ? "Apply failed with 1 conflict: conflict with \(list[0].manager): \(list[0].field)"
            : "Apply failed with \(list.count) conflicts: " + lines.joined(separator: "\n")
        return PatchError(.conflict, message, conflicts: list)
    }

}
