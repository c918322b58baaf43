/// Strategic merge patch (`application/strategic-merge-patch+json`), the patch `kubectl apply`, `set image`,
/// `rollout restart`, `cordon` and `kubectl patch` send for built-in kinds.
///
/// Semantics follow k8s.io/apimachinery `strategicpatch` as the API server runs it (parallel lists merged, nulls
/// that match nothing ignored): maps merge recursively and `null` deletes a key; a list whose field has
/// `patchStrategy: merge` merges (objects by `patchMergeKey`, primitives as a set), other lists replace; a map
/// field with `patchStrategy: replace` replaces. Directives: `$patch: replace|delete` in maps, `$patch:
/// replace|delete` elements in merged lists, `$retainKeys`, `$setElementOrder/<list>` and
/// `$deleteFromPrimitiveList/<list>`. Values without a schema merge like JSON merge patch (maps merge, lists
/// replace). Directives never reach the result.
public struct StrategicMergePatch: Sendable {
    /// The schemas that supply merge keys and strategies.
    public var registry: SchemaRegistry

    /// A patcher over `registry`.
    public init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Applies `patch` to an object of `kind`; a kind without a schema merges like JSON merge patch.
    public func apply(_ patch: JSON, to original: JSON, kind: GroupVersionKind) throws(PatchError) -> JSON {
        try apply(patch, to: original, schema: registry.schema(for: kind))
    }

    /// Applies `patch` to an object whose top-level type is `schema` (nil: no schema).
    public func apply(_ patch: JSON, to original: JSON, schema: TypeSchema?) throws(PatchError) -> JSON {
        guard case .object(let patchObject) = patch else { throw .invalid("invalid JSON document") }
        let originalObject: JSONObject
        switch original {
        case .object(let object): originalObject = object
        case .null: originalObject = JSONObject()
        default: throw .invalid("invalid JSON document")
        }
        let node = schema.map(SchemaNode.type) ?? .unknown
        return .object(try mergeMap(originalObject, patchObject, node))
    }
}

// Directive names (upstream `strategicpatch` constants).
enum Directive {
    static let marker = "$patch"
    static let delete = "delete"
    static let replace = "replace"
    static let merge = "merge"
    static let retainKeys = "$retainKeys"
    static let setElementOrder = "$setElementOrder"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList"

    /// Whether a key is a directive that never belongs in a stored object.
    static func isDirectiveKey(_ key: String) -> Bool {
        key == marker || key == retainKeys || key.hasPrefix(setElementOrder + "/")
            || key.hasPrefix(deleteFromPrimitiveList + "/")
    }
}

extension StrategicMergePatch {
    func mergeMap(_ original: JSONObject, _ patch: JSONObject, _ node: SchemaNode) throws(PatchError) -> JSONObject {
        var patch = patch
        if let directive = patch[Directive.marker] {
            switch directive.stringValue {
            case Directive.replace?:
                patch.removeValue(forKey: Directive.marker)
                return try Self.materializeObject(patch)
            case Directive.delete?:
                return JSONObject()
            default:
                throw Self.badPatchType(directive, patch)
            }
        }
        var original = original
        try applyRetainKeys(&original, &patch)
        try applySetElementOrder(&original, &patch, node)

        for (rawKey, patchValue) in patch {
            var key = rawKey
            var isDeleteList = false
            if rawKey.hasPrefix(Directive.deleteFromPrimitiveList) {
                key = try Self.extractKey(rawKey, prefix: Directive.deleteFromPrimitiveList)
                isDeleteList = true
            }
            if patchValue.isNull {
                original.removeValue(forKey: key)
                continue
            }
            let (field, childNode) = node.child(key, in: registry)
            guard let originalValue = original[key], originalValue.patchKind == patchValue.patchKind else {
                // Absent, or of another kind: the patch value wins (a deletion list has nothing to delete from).
                if !isDeleteList {
                    original[key] = try Self.materialize(patchValue)
                }
                continue
            }
            switch (originalValue, patchValue) {
            case (.object(let originalChild), .object(let patchChild)):
                if field?.mergeStrategy == Directive.replace {
                    original[key] = try Self.materialize(patchValue)
                } else {
                    original[key] = .object(try mergeMap(originalChild, patchChild, childNode))
                }
            case (.array(let originalList), .array(let patchList)):
                if field?.mergeStrategy == Directive.merge || isDeleteList {
                    original[key] = .array(
                        try mergeList(
                            originalList, patchList, childNode, mergeKey: field?.patchMergeKey,
                            isDeleteList: isDeleteList))
                } else {
                    original[key] = try Self.materialize(patchValue)
                }
            default:
                original[key] = patchValue
            }
        }
        return original
    }

    /// `$retainKeys: [k…]` clears every key of `original` not listed; every key the patch sets must be listed.
    private func applyRetainKeys(_ original: inout JSONObject, _ patch: inout JSONObject) throws(PatchError) {
        guard let directive = patch.removeValue(forKey: Directive.retainKeys) else { return }
        guard case .array(let list) = directive else { throw .invalid("invalid patch format of retainKeys") }
        let retained = Set(list.compactMap(\.stringValue))
        for (key, value) in patch
        where !value.isNull && !key.hasPrefix(Directive.deleteFromPrimitiveList)
            && !key.hasPrefix(Directive.setElementOrder)
        {
            guard retained.contains(key) else { throw .invalid("invalid patch format of retainKeys") }
        }
        for key in original.keys where !retained.contains(key) {
            original.removeValue(forKey: key)
        }
    }

    /// Merges each list that has a `$setElementOrder/<list>` directive and orders the result: the directive's
    /// order first, then the patch's, then the live object's (upstream `mergePatchIntoOriginal`).
    private func applySetElementOrder(
        _ original: inout JSONObject, _ patch: inout JSONObject, _ node: SchemaNode
    ) throws(PatchError) {
        for directiveKey in patch.keys where directiveKey.hasPrefix(Directive.setElementOrder) {
            guard let orderValue = patch.removeValue(forKey: directiveKey) else { continue }
            guard case .array(let order) = orderValue else {
                throw .invalid("invalid patch format of setElementOrder list")
            }
            let key = try Self.extractKey(directiveKey, prefix: Directive.setElementOrder)
            let originalList = try Self.listValue(original[key])
            let patchList = try Self.listValue(patch[key])
            let (field, elementNode) = node.child(key, in: registry)
            let mergeKey = field?.patchMergeKey
            try Self.validate(patchList ?? [], against: order, mergeKey: mergeKey)

            let merged: [JSON]
            switch (originalList, patchList) {
            case (let live?, nil):
                merged = live
            case (nil, let patched?):
                merged = try Self.materializeList(patched)
            case (let live?, let patched?):
                if field?.mergeStrategy == Directive.merge {
                    merged = try mergeList(live, patched, elementNode, mergeKey: mergeKey, isDeleteList: false)
                } else {
                    merged = try Self.materializeList(patched)
                }
            case (nil, nil):
                continue
            }
            patch.removeValue(forKey: key)
            let objects = merged.first?.patchKind == .object
            let itemKey = objects ? mergeKey : nil
            let (inOrder, serverOnly) = try Self.partition(merged, by: order, mergeKey: itemKey)
            original[key] = .array(
                try Self.normalizeOrder(
                    patchItems: inOrder, serverOnly: serverOnly, patchOrder: order, serverOrder: originalList ?? [],
                    mergeKey: itemKey))
        }
    }

    /// Merges two lists of a field with `patchStrategy: merge` (or a `$deleteFromPrimitiveList` list).
    func mergeList(
        _ original: [JSON], _ patch: [JSON], _ elementNode: SchemaNode, mergeKey: String?, isDeleteList: Bool
    ) throws(PatchError) -> [JSON] {
        if original.isEmpty && patch.isEmpty { return original }
        let kind = try Self.elementKind(original, patch)
        guard kind == .object else {
            if isDeleteList {
                return original.filter { item in !patch.contains { $0.patchEquals(item) } }
            }
            var merged: [JSON] = []
            for item in original + patch where !merged.contains(where: { $0.patchEquals(item) }) {
                merged.append(item)
            }
            let (patchItems, serverOnly) = try Self.partition(merged, by: patch, mergeKey: nil)
            return try Self.normalizeOrder(
                patchItems: patchItems, serverOnly: serverOnly, patchOrder: patch, serverOrder: original, mergeKey: nil)
        }
        guard let mergeKey else {
            throw .notApplicable("cannot merge lists without merge key for \(elementNode.name)")
        }
        let (remaining, plainPatch) = try Self.applyListDirectives(original, patch, mergeKey: mergeKey)
        var merged = remaining
        for item in plainPatch {
            guard case .object(let patchItem) = item, let value = patchItem[mergeKey] else {
                throw Self.noMergeKey(item, mergeKey)
            }
            if let index = try Self.indexOfItem(in: merged, mergeKey: mergeKey, value: value),
                case .object(let originalItem) = merged[index]
            {
                merged[index] = .object(try mergeMap(originalItem, patchItem, elementNode))
            } else if let added = try Self.materialize(item) {
                merged.append(added)
            }
        }
        let (patchItems, serverOnly) = try Self.partition(merged, by: plainPatch, mergeKey: mergeKey)
        return try Self.normalizeOrder(
            patchItems: patchItems, serverOnly: serverOnly, patchOrder: plainPatch, serverOrder: remaining,
            mergeKey: mergeKey)
    }

    /// Handles `{"$patch": "delete", key: v}` and `{"$patch": "replace"}` elements; returns the list to merge
    /// into and the patch elements left to merge.
    private static func applyListDirectives(
        _ original: [JSON], _ patch: [JSON], mergeKey: String
    ) throws(PatchError) -> ([JSON], [JSON]) {
        var original = original
        var plain: [JSON] = []
        var replace = false
        for item in patch {
            guard case .object(let object) = item else { throw noMergeKey(item, mergeKey) }
            guard let directive = object[Directive.marker] else {
                plain.append(item)
                continue
            }
            switch directive.stringValue {
            case Directive.delete?:
                guard let value = object[mergeKey] else { throw noMergeKey(item, mergeKey) }
                while let index = try indexOfItem(in: original, mergeKey: mergeKey, value: value) {
                    original.remove(at: index)
                }
            case Directive.replace?:
                replace = true
            case Directive.merge?:
                throw .invalid("merging lists cannot yet be specified in the patch")
            default:
                throw badPatchType(directive, object)
            }
        }
        if replace {
            return (try materializeList(plain), [])
        }
        return (original, plain)
    }
}

// Ordering, as upstream's `normalizeElementOrder` and `mergeSortedSlice` do it.
extension StrategicMergePatch {
    /// Splits `items` into those present in `list` and the rest (matching by merge key for objects).
    static func partition(_ items: [JSON], by list: [JSON], mergeKey: String?) throws(PatchError) -> ([JSON], [JSON]) {
        var present: [JSON] = []
        var absent: [JSON] = []
        for item in items {
            if try position(of: item, in: list, mergeKey: mergeKey) != nil {
                present.append(item)
            } else {
                absent.append(item)
            }
        }
        return (present, absent)
    }

    /// Sorts the patch items by `patchOrder` and the server-only items by `serverOrder`, then interleaves them:
    /// each server-only item goes before the first patch item that follows it in the live list.
    static func normalizeOrder(
        patchItems: [JSON], serverOnly: [JSON], patchOrder: [JSON], serverOrder: [JSON], mergeKey: String?
    ) throws(PatchError) -> [JSON] {
        let right = try sorted(patchItems, by: patchOrder, mergeKey: mergeKey)
        let left = try sorted(serverOnly, by: serverOrder, mergeKey: mergeKey)
        var result: [JSON] = []
        result.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                result.append(right[j])
                j += 1
            } else if j >= right.count {
                result.append(left[i])
                i += 1
            } else {
                let li = try position(of: left[i], in: serverOrder, mergeKey: mergeKey)
                let ri = try position(of: right[j], in: serverOrder, mergeKey: mergeKey)
                if let li, let ri, li < ri {
                    result.append(left[i])
                    i += 1
                } else {
                    result.append(right[j])
                    j += 1
                }
            }
        }
        return result
    }

    /// A stable sort by position in `order`; items missing from `order` keep their relative order at the end.
    private static func sorted(_ items: [JSON], by order: [JSON], mergeKey: String?) throws(PatchError) -> [JSON] {
        var keyed: [(rank: Int, offset: Int, item: JSON)] = []
        keyed.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            let rank = try position(of: item, in: order, mergeKey: mergeKey) ?? Int.max
            keyed.append((rank, offset, item))
        }
        keyed.sort { ($0.rank, $0.offset) < ($1.rank, $1.offset) }
        return keyed.map(\.item)
    }

    /// The position of `item` in `list`: by merge-key value for objects, by value otherwise.
    private static func position(of item: JSON, in list: [JSON], mergeKey: String?) throws(PatchError) -> Int? {
        guard let mergeKey else {
            return list.firstIndex { $0.patchEquals(item) }
        }
        guard let value = item[mergeKey].nonNullOrNil(in: item, key: mergeKey) else {
            throw noMergeKey(item, mergeKey)
        }
        return list.firstIndex { candidate in
            guard case .object(let object) = candidate, let candidateValue = object[mergeKey] else { return false }
            return candidateValue.patchEquals(value)
        }
    }

    /// The index of the object in `list` whose `mergeKey` equals `value`.
    static func indexOfItem(in list: [JSON], mergeKey: String, value: JSON) throws(PatchError) -> Int? {
        for (index, element) in list.enumerated() {
            guard case .object(let object) = element else {
                throw .notApplicable("value for key \(index) is not a map")
            }
            if let candidate = object[mergeKey], candidate.patchEquals(value) { return index }
        }
        return nil
    }

    /// Checks that the patch list follows the relative order of its `$setElementOrder` list.
    static func validate(_ patchList: [JSON], against order: [JSON], mergeKey: String?) throws(PatchError) {
        guard !order.isEmpty, !patchList.isEmpty else { return }
        var items = patchList
        if mergeKey != nil {
            items = patchList.filter { $0[Directive.marker].stringValue != Directive.delete }
        }
        var p = 0
        var s = 0
        while p < items.count && s < order.count {
            if items[p].contains(key: Directive.marker) {
                p += 1
                continue
            }
            if try mergeKeyValueEqual(items[p], order[s], mergeKey: mergeKey) {
                p += 1
            }
            s += 1
        }
        if p < items.count && s >= order.count {
            throw .invalid(
                "The order in patch list:\n\(JSON.array(patchList))\n doesn't match "
                    + "\(Directive.setElementOrder) list:\n"
                    + "\(JSON.array(order))\n")
        }
    }

    private static func mergeKeyValueEqual(_ left: JSON, _ right: JSON, mergeKey: String?) throws(PatchError) -> Bool {
        guard let mergeKey else { return left.patchEquals(right) }
        guard case .object(let l) = left, let lv = l[mergeKey] else { throw noMergeKey(left, mergeKey) }
        guard case .object(let r) = right, let rv = r[mergeKey] else { throw noMergeKey(right, mergeKey) }
        return lv.patchEquals(rv)
    }
}

// Turning patch content into stored content.
extension StrategicMergePatch {
    /// Patch content that lands where the original has nothing: nulls dropped, directives resolved against
    /// nothing (`$patch: delete` removes, `$patch: replace` keeps the rest). Nil means "no value".
    static func materialize(_ value: JSON) throws(PatchError) -> JSON? {
        switch value {
        case .object(let object):
            if let directive = object[Directive.marker] {
                switch directive.stringValue {
                case Directive.delete?:
                    return nil
                case Directive.replace?:
                    break
                default:
                    throw badPatchType(directive, object)
                }
            }
            return .object(try materializeObject(object))
        case .array(let elements):
            return .array(try materializeList(elements))
        default:
            return value
        }
    }

    static func materializeObject(_ object: JSONObject) throws(PatchError) -> JSONObject {
        var result = JSONObject(minimumCapacity: object.count)
        for (key, value) in object where !value.isNull && !Directive.isDirectiveKey(key) {
            if let materialized = try materialize(value) {
                result[key] = materialized
            }
        }
        return result
    }

    /// List elements carrying a `$patch` directive are dropped, as upstream's `removeDirectives` does.
    static func materializeList(_ elements: [JSON]) throws(PatchError) -> [JSON] {
        var result: [JSON] = []
        result.reserveCapacity(elements.count)
        for element in elements where !element.contains(key: Directive.marker) {
            if let materialized = try materialize(element) {
                result.append(materialized)
            }
        }
        return result
    }
}

// Small checks and upstream error shapes.
extension StrategicMergePatch {
    static func extractKey(_ key: String, prefix: String) throws(PatchError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            if prefix == Directive.deleteFromPrimitiveList {
                throw .invalid("invalid patch format of primitive list")
            }
            throw .invalid("invalid patch format of setElementOrder list")
        }
        return String(parts[1])
    }

    private static func listValue(_ value: JSON?) throws(PatchError) -> [JSON]? {
        guard let value else { return nil }
        guard case .array(let elements) = value else {
            throw .notApplicable("expected a []interface {}, but received a \(value.goTypeName)")
        }
        return elements
    }

    /// The common kind of the elements of both lists; lists of lists and mixed lists are rejected.
    static func elementKind(_ original: [JSON], _ patch: [JSON]) throws(PatchError) -> PatchValueKind {
        var kind: PatchValueKind?
        for element in original + patch {
            let current = element.patchKind
            if let kind {
                guard kind == current else {
                    throw .notApplicable(
                        "list element types are not identical: \(JSON.array(original)) \(JSON.array(patch))")
                }
            } else {
                if current == .array { throw .notApplicable("lists of lists are not supported") }
                kind = current
            }
        }
        guard let kind else { throw .notApplicable("no elements in any of the given slices") }
        return kind
    }

    static func noMergeKey(_ item: JSON, _ mergeKey: String) -> PatchError {
        .notApplicable("map: \(item) does not contain declared merge key: \(mergeKey)")
    }

    static func badPatchType(_ directive: JSON, _ object: JSONObject) -> PatchError {
        let name = directive.stringValue ?? directive.serializedString()
        return .invalid("unknown patch type: \(name) in map: \(JSON.object(object))")
    }
}

extension JSON {
    /// The member `key` of `object` when present (even if null), so that a merge key of `null` still counts.
    fileprivate func nonNullOrNil(in object: JSON, key: String) -> JSON? {
        object.contains(key: key) ? self : nil
    }
}
