/// Walks objects against the schema to list the fields they set (for an applier's set) and to compare two
/// versions (for updates and conflicts), in structured-merge-diff's path terms.
struct FieldSetWalker {
    let registry: SchemaRegistry
    let root: SchemaNode
    let ignoredFields: Set<String>

    init(registry: SchemaRegistry, root: TypeSchema?, ignoredFields: Set<String>) {
        self.registry = registry
        self.root = root.map(SchemaNode.type) ?? .unknown
        self.ignoredFields = ignoredFields
    }

    /// Paths never owned (upstream's strip set): type and identity metadata.
    static let stripped: Set<FieldPath> = [
        FieldPath(fields: "apiVersion"), FieldPath(fields: "kind"), FieldPath(fields: "metadata"),
        FieldPath(fields: "metadata", "name"), FieldPath(fields: "metadata", "namespace"),
        FieldPath(fields: "metadata", "creationTimestamp"), FieldPath(fields: "metadata", "selfLink"),
        FieldPath(fields: "metadata", "uid"), FieldPath(fields: "metadata", "clusterName"),
        FieldPath(fields: "metadata", "generation"), FieldPath(fields: "metadata", "managedFields"),
        FieldPath(fields: "metadata", "resourceVersion"),
    ]

    /// How list items are identified.
    enum ListKind {
        /// Items are identified by these key fields (`k:{…}`).
        case associative([String])
        /// Items are their own identity (`v:…`).
        case set
        /// The whole list is one value.
        case atomic
    }

    static func listKind(of field: FieldSchema?) -> ListKind {
        guard let field else { return .atomic }
        let keys = field.listMapKeys.isEmpty ? (field.patchMergeKey.map { [$0] } ?? []) : field.listMapKeys
        switch field.listType {
        case "atomic"?: return .atomic
        case "set"?: return .set
        case "map"?: return keys.isEmpty ? .atomic : .associative(keys)
        default:
            guard field.mergeStrategy == Directive.merge else { return .atomic }
            return keys.isEmpty ? .set : .associative(keys)
        }
    }

    /// The path element of a list item; nil for atomic lists.
    static func element(of item: JSON, at index: Int, in kind: ListKind) -> FieldPathElement? {
        switch kind {
        case .atomic:
            return nil
        case .set:
            return .value(item)
        case .associative(let keys):
            let fields = keys.compactMap { key in
                item.objectValue?[key].map { FieldPathElement.KeyField(name: key, value: $0) }
            }
            return fields.isEmpty ? .index(index) : .key(fields.sorted { $0.name < $1.name })
        }
    }

    func keep(_ path: FieldPath) -> Bool {
        if Self.stripped.contains(path) { return false }
        if case .field(let name)? = path.elements.first, ignoredFields.contains(name) { return false }
        return true
    }

    // MARK: The fields an object sets

    /// The members an applied configuration sets (upstream `ToFieldSet`): leaves, list items, map entries and
    /// empty or null values.
    func fieldSet(of object: JSON) -> FieldSet {
        var paths: Set<FieldPath> = []
        collect(object, node: root, field: nil, path: FieldPath([]), into: &paths)
        return FieldSet(paths.filter(keep))
    }

    private func collect(
        _ value: JSON, node: SchemaNode, field: FieldSchema?, path: FieldPath, into paths: inout Set<FieldPath>
    ) {
        switch value {
        case .object(let object):
            for (key, child) in object {
                let (childField, childNode) = node.child(key, in: registry)
                let childPath = path.appending(.field(key))
                if child.isNull || child == .emptyObject || !node.declares(key) {
                    paths.insert(childPath)
                }
                collect(child, node: childNode, field: childField, path: childPath, into: &paths)
            }
        case .array(let items):
            let kind = Self.listKind(of: field)
            guard case .atomic = kind else {
                for (index, item) in items.enumerated() {
                    guard let element = Self.element(of: item, at: index, in: kind) else { continue }
                    let itemPath = path.appending(element)
                    paths.insert(itemPath)
                    if case .object = item {
                        collect(item, node: node, field: nil, path: itemPath, into: &paths)
                    }
                }
                return
            }
            paths.insert(path)
        case .null:
            break
        default:
            paths.insert(path)
        }
    }

    // MARK: Everything a new object sets

    /// The `fieldsV1` of every field `object` sets, exactly what `compare(nothing, object).added` encoded as
    /// `FieldSet.fieldsV1` gives (and `keep` allows), built in one walk straight into the trie: the create path,
    /// where every field is the writer's, without a set of paths in between.
    func addedFieldsV1(_ object: JSON) -> JSON {
        let root = FieldsTrie()
        add(object, node: self.root, field: nil, at: root, recordsNode: false)
        for name in ignoredFields { root.children[.field(name)] = nil }
        for path in Self.stripped {
            var trie: FieldsTrie? = root
            for element in path.elements { trie = trie?.children[element] }
            trie?.member = false
        }
        root.prune()
        return root.fieldsV1
    }

    /// `compare(nil, value, …)` recording into a trie: the same recursion, the same members.
    private func add(_ value: JSON, node: SchemaNode, field: FieldSchema?, at trie: FieldsTrie, recordsNode: Bool) {
        if case .object(let object) = value, !object.isEmpty {
            for (key, child) in object {
                let (childField, childNode) = node.child(key, in: registry)
                add(
                    child, node: childNode, field: childField, at: trie.child(.field(key)),
                    recordsNode: !node.declares(key))
            }
            if recordsNode { trie.member = true }
            return
        }
        let kind = Self.listKind(of: field)
        if case .array(let items) = value, !items.isEmpty {
            if case .atomic = kind {
            } else {
                var seen: Set<FieldPathElement> = []
                for (position, item) in items.enumerated() {
                    guard let element = Self.element(of: item, at: position, in: kind), seen.insert(element).inserted
                    else { continue }
                    add(item, node: node, field: nil, at: trie.child(element), recordsNode: true)
                }
                if recordsNode { trie.member = true }
                return
            }
        }
        trie.member = true
    }

    // MARK: Comparing two versions

    /// Paths added, changed and removed between two versions of an object.
    struct Comparison {
        var added = FieldSet()
        var modified = FieldSet()
        var removed = FieldSet()
    }

    func compare(_ old: JSON, _ new: JSON) -> Comparison {
        var comparison = Comparison()
        compare(old, new, node: root, field: nil, path: FieldPath([]), recordsNode: false, into: &comparison)
        comparison.added = FieldSet(comparison.added.paths.filter(keep))
        comparison.modified = FieldSet(comparison.modified.paths.filter(keep))
        comparison.removed = FieldSet(comparison.removed.paths.filter(keep))
        return comparison
    }

    /// `recordsNode`: whether an added or removed container at `path` is itself a member (list items and map
    /// entries are; declared struct fields are not).
    private func compare(
        _ old: JSON?, _ new: JSON?, node: SchemaNode, field: FieldSchema?, path: FieldPath, recordsNode: Bool,
        into comparison: inout Comparison
    ) {
        if old == nil && new == nil { return }
        // Unchanged storage: nothing below changed (most of a write's new version is the old one's).
        if let old, let new, old.isIdentical(to: new) { return }
        let oldObject = old.flatMap(\.objectValue)
        let newObject = new.flatMap(\.objectValue)
        let objects = (old == nil || oldObject != nil) && (new == nil || newObject != nil)
        if objects && !((oldObject?.isEmpty ?? true) && (newObject?.isEmpty ?? true)) {
            var keys = oldObject?.keys ?? []
            for key in newObject?.keys ?? [] where oldObject?.contains(key) != true { keys.append(key) }
            for key in keys {
                let (childField, childNode) = node.child(key, in: registry)
                compare(
                    oldObject?[key], newObject?[key], node: childNode, field: childField,
                    path: path.appending(.field(key)),
                    recordsNode: !node.declares(key), into: &comparison)
            }
            if recordsNode { record(old, new, path, into: &comparison) }
            return
        }
        let oldList = old.flatMap(\.arrayValue)
        let newList = new.flatMap(\.arrayValue)
        let kind = Self.listKind(of: field)
        let lists = (old == nil || oldList != nil) && (new == nil || newList != nil)
        if case .atomic = kind {
        } else if lists && !((oldList?.isEmpty ?? true) && (newList?.isEmpty ?? true)) {
            let oldItems = Self.index(oldList ?? [], kind)
            let newItems = Self.index(newList ?? [], kind)
            var order = oldItems.order
            for element in newItems.order where oldItems.items[element] == nil { order.append(element) }
            for element in order {
                compare(
                    oldItems.items[element], newItems.items[element], node: node, field: nil,
                    path: path.appending(element), recordsNode: true, into: &comparison)
            }
            if recordsNode { record(old, new, path, into: &comparison) }
            return
        }
        // A leaf: scalars, atomic lists, empty containers, or a change of kind.
        switch (old, new) {
        case (nil, _?): comparison.added.insert(path)
        case (_?, nil): comparison.removed.insert(path)
        case (let old?, let new?) where !old.patchEquals(new): comparison.modified.insert(path)
        default: break
        }
    }

    private func record(_ old: JSON?, _ new: JSON?, _ path: FieldPath, into comparison: inout Comparison) {
        if old == nil {
            comparison.added.insert(path)
        } else if new == nil {
            comparison.removed.insert(path)
        }
    }

    /// Items by path element, first occurrence winning, in list order.
    private static func index(_ list: [JSON], _ kind: ListKind) -> (
        order: [FieldPathElement], items: [FieldPathElement: JSON]
    ) {
        var order: [FieldPathElement] = []
        var items: [FieldPathElement: JSON] = [:]
        for (position, item) in list.enumerated() {
            guard let element = element(of: item, at: position, in: kind), items[element] == nil else { continue }
            order.append(element)
            items[element] = item
        }
        return (order, items)
    }

    // MARK: Removing a path

    /// `value` without the field, list item or set value at `path`.
    static func removing(_ path: ArraySlice<FieldPathElement>, from value: JSON) -> JSON {
        guard let first = path.first else { return value }
        let rest = path.dropFirst()
        switch (first, value) {
        case (.field(let key), .object(var object)):
            if rest.isEmpty {
                object.removeValue(forKey: key)
            } else if let child = object[key] {
                object[key] = removing(rest, from: child)
            }
            return .object(object)
        case (_, .array(var items)):
            let position = items.enumerated().first { index, item in matches(first, item: item, at: index) }?.offset
            guard let position else { return value }
            if rest.isEmpty {
                items.remove(at: position)
            } else {
                items[position] = removing(rest, from: items[position])
            }
            return .array(items)
        default:
            return value
        }
    }

    private static func matches(_ element: FieldPathElement, item: JSON, at index: Int) -> Bool {
        switch element {
        case .key(let fields):
            return fields.allSatisfy { field in
                item.objectValue?[field.name].map { $0.patchEquals(field.value) } ?? false
            }
        case .value(let value):
            return item.patchEquals(value)
        case .index(let position):
            return position == index
        case .field:
            return false
        }
    }
}
