/// A set of field paths that one manager owns, stored in `managedFields[].fieldsV1` in upstream's trie format:
/// `{"f:spec":{"f:replicas":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`, where `{}` marks a member leaf
/// and `".": {}` marks a member that also has members below it.
public struct FieldSet: Sendable, Hashable {
    /// The member paths.
    public private(set) var paths: Set<FieldPath>

    /// A set of `paths`.
    public init<S: Sequence>(_ paths: S) where S.Element == FieldPath {
        self.paths = Set(paths)
    }

    /// The empty set.
    public init() {
        paths = []
    }

    /// Whether there are no members.
    public var isEmpty: Bool { paths.isEmpty }

    /// Whether `path` is a member.
    public func contains(_ path: FieldPath) -> Bool { paths.contains(path) }

    /// Adds a member.
    public mutating func insert(_ path: FieldPath) { paths.insert(path) }

    /// The members of either set.
    public func union(_ other: FieldSet) -> FieldSet { FieldSet(paths.union(other.paths)) }

    /// The members of this set that `other` lacks.
    public func subtracting(_ other: FieldSet) -> FieldSet { FieldSet(paths.subtracting(other.paths)) }

    /// Whether the sets have no member in common.
    public func isDisjoint(with other: FieldSet) -> Bool { paths.isDisjoint(with: other.paths) }

    /// The members of both sets.
    public func intersection(_ other: FieldSet) -> FieldSet { FieldSet(paths.intersection(other.paths)) }

    /// The members in upstream's order (depth-first, fields before keys before values before indices).
    public var sortedPaths: [FieldPath] {
        paths.sorted { a, b in
            for (x, y) in zip(a.elements, b.elements) where x != y {
                return FieldPathElement.precedes(x, y)
            }
            return a.elements.count < b.elements.count
        }
    }

    /// Whether some member lies strictly below `path`.
    func hasDescendant(of path: FieldPath) -> Bool {
        paths.contains { path.isAncestor(of: $0) }
    }
}

extension FieldSet {
    /// Decodes a `fieldsV1` object.
    public init(fieldsV1 json: JSON) throws(PatchError) {
        guard case .object(let root) = json else { throw .invalid("fieldsV1 must be an object") }
        var paths: Set<FieldPath> = []
        try Self.decode(root, prefix: FieldPath([]), into: &paths)
        self.paths = paths
    }

    private static func decode(_ object: JSONObject, prefix: FieldPath, into paths: inout Set<FieldPath>)
        throws(PatchError)
    {
        for (key, value) in object {
            if key == "." {
                paths.insert(prefix)
                continue
            }
            let path = prefix.appending(try FieldPathElement(fieldsV1Key: key))
            guard case .object(let children) = value else { throw .invalid("fieldsV1 values must be objects") }
            if children.isEmpty {
                paths.insert(path)
            } else {
                try decode(children, prefix: path, into: &paths)
            }
        }
    }

    /// The `fieldsV1` object.
    public var fieldsV1: JSON {
        let root = FieldsTrie()
        for path in paths {
            var node = root
            for element in path.elements { node = node.child(element) }
            node.member = true
        }
        return root.fieldsV1
    }
}

/// A trie of field paths, the shape `fieldsV1` writes: members are `{}` leaves, or `".": {}` inside a node that
/// also has members below it.
final class FieldsTrie {
    var member = false
    var children: [FieldPathElement: FieldsTrie] = [:]

    /// The child at `element`, made if missing.
    func child(_ element: FieldPathElement) -> FieldsTrie {
        if let child = children[element] { return child }
        let child = FieldsTrie()
        children[element] = child
        return child
    }

    /// Drops children that are neither members nor above one (left behind when a member was unmarked).
    func prune() {
        for (element, child) in children {
            child.prune()
            if !child.member && child.children.isEmpty { children[element] = nil }
        }
    }

    /// The `fieldsV1` object of the children, in upstream's order.
    var fieldsV1: JSON {
        var object = JSONObject(minimumCapacity: children.count + 1)
        for element in children.keys.sorted(by: FieldPathElement.precedes) {
            guard let child = children[element] else { continue }
            var body = JSONObject()
            if !child.children.isEmpty {
                if child.member { body["."] = .emptyObject }
                if case .object(let grandchildren) = child.fieldsV1 {
                    for (key, value) in grandchildren { body[key] = value }
                }
            }
            object[element.fieldsV1Key] = .object(body)
        }
        return .object(object)
    }
}
