/// JSON patch (RFC 6902), the `application/json-patch+json` body of `kubectl patch --type=json`.
///
/// Operations are decoded loosely and checked when applied, as upstream (evanphx/json-patch v4) does, so a missing
/// `path` or an unknown `op` is a 422 naming the operation, with upstream's wording.
public struct JSONPatch: Sendable, Hashable {
    /// One operation as sent: `op`, `path`, and `from` or `value` where the operation needs them.
    public struct Operation: Sendable, Hashable {
        /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
        public var op: String
        /// The target, a JSON pointer; nil when absent from the request.
        public var path: String?
        /// The source of `move` and `copy`.
        public var from: String?
        /// The value of `add`, `replace` and `test`; nil when absent (an explicit `null` is `.null`).
        public var value: JSON?

        /// An operation from its parts.
        public init(op: String, path: String?, from: String? = nil, value: JSON? = nil) {
            self.op = op
            self.path = path
            self.from = from
            self.value = value
        }
    }

    /// The operations, applied in order.
    public var operations: [Operation]

    /// A patch from operations.
    public init(_ operations: [Operation]) {
        self.operations = operations
    }

    /// Decodes a patch document: an array of operation objects (anything else is a 400, as upstream's decoder
    /// rejects it).
    public init(parsing document: JSON) throws(PatchError) {
        guard case .array(let elements) = document else {
            throw .invalid("json: cannot unmarshal \(document.goTypeName) into Go value of type jsonpatch.Patch")
        }
        var operations: [Operation] = []
        operations.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let object) = element else {
                throw .invalid("json: cannot unmarshal \(element.goTypeName) into Go value of type jsonpatch.Operation")
            }
            operations.append(
                Operation(
                    op: object["op"]?.stringValue ?? "unknown", path: object["path"]?.stringValue,
                    from: object["from"]?.stringValue, value: object["value"]))
        }
        self.operations = operations
    }

    /// Applies every operation in order; the first failure stops the patch and nothing is applied.
    public func apply(to document: JSON) throws(PatchError) -> JSON {
        var document = document
        for operation in operations {
            try operation.apply(to: &document)
        }
        return document
    }
}

extension JSONPatch.Operation {
    fileprivate func apply(to document: inout JSON) throws(PatchError) {
        switch op {
        case "add":
            let path = try requirePath()
            try JSONPatch.add(try requireValue(), at: path, in: &document, operation: "add")
        case "remove":
            try remove(at: try requirePath(), in: &document)
        case "replace":
            try replace(at: try requirePath(), in: &document)
        case "move":
            try move(in: &document)
        case "copy":
            try copy(in: &document)
        case "test":
            try test(document)
        default:
            throw .notApplicable("Unexpected kind: \(op)")
        }
    }

    private func requirePath() throws(PatchError) -> String {
        guard let path else { throw .notApplicable("\(op) operation failed to decode path: missing value") }
        return path
    }

    private func requireFrom() throws(PatchError) -> String {
        guard let from else {
            throw .notApplicable("\(op) operation failed to decode from: operation, missing from field: missing value")
        }
        return from
    }

    private func requireValue() throws(PatchError) -> JSON {
        guard let value else { throw .notApplicable("\(op) operation, missing value field: missing value") }
        return value
    }

    private func remove(at path: String, in document: inout JSON) throws(PatchError) {
        guard let (parent, key) = JSONPatch.locate(path, in: document) else {
            throw .notApplicable("remove operation does not apply: doc is missing path: \"\(path)\": missing value")
        }
        try JSONPatch.remove(key, parent: parent, in: &document, context: "error in remove for path: '\(path)'")
    }

    private func replace(at path: String, in document: inout JSON) throws(PatchError) {
        let value = try requireValue()
        if path.isEmpty {
            document = value
            return
        }
        guard let (parent, key) = JSONPatch.locate(path, in: document) else {
            throw .notApplicable("replace operation does not apply: doc is missing path: \(path): missing value")
        }
        guard let component = JSONPatch.existing(key, parent: parent, in: document) else {
            throw .notApplicable("replace operation does not apply: doc is missing key: \(path): missing value")
        }
        JSONPatch.write(value, at: parent + [component], in: &document)
    }

    private func move(in document: inout JSON) throws(PatchError) {
        let from = try requireFrom()
        let path = try requirePath()
        if let source = try? JSONPointer(parsing: from), let target = try? JSONPointer(parsing: path),
            source.isProperPrefix(of: target)
        {
            throw .notApplicable("move operation does not apply: cannot move \(from) into its own child \(path)")
        }
        guard let (parent, key) = JSONPatch.locate(from, in: document) else {
            throw .notApplicable("move operation does not apply: doc is missing from path: \(from): missing value")
        }
        let moved = try JSONPatch.remove(
            key, parent: parent, in: &document, context: "error in move for path: '\(key)'")
        try JSONPatch.add(moved, at: path, in: &document, operation: "move", destination: true)
    }

    private func copy(in document: inout JSON) throws(PatchError) {
        let from = try requireFrom()
        let path = try requirePath()
        guard let (parent, key) = JSONPatch.locate(from, in: document),
            let component = JSONPatch.existing(key, parent: parent, in: document),
            let value = document.value(at: parent + [component])
        else {
            throw .notApplicable("copy operation does not apply: doc is missing from path: \(from): missing value")
        }
        try JSONPatch.add(value, at: path, in: &document, operation: "copy", destination: true)
    }

    private func test(_ document: JSON) throws(PatchError) {
        let path = try requirePath()
        let expected = value ?? .null
        if path.isEmpty {
            guard document.patchEquals(expected) else {
                throw .notApplicable("testing value \(path) failed: test failed")
            }
            return
        }
        guard let (parent, key) = JSONPatch.locate(path, in: document) else {
            throw .notApplicable("test operation does not apply: is missing path: \(path): missing value")
        }
        // Like upstream, a missing key tests equal to null.
        let actual = JSONPatch.existing(key, parent: parent, in: document).flatMap { document.value(at: parent + [$0]) }
        guard (actual ?? .null).patchEquals(expected) else {
            throw .notApplicable("testing value \(path) failed: test failed")
        }
    }
}

extension JSONPatch {
    /// Resolves every token but the last to a container; returns its path and the last (decoded) token.
    fileprivate static func locate(_ path: String, in document: JSON) -> ([JSONPathComponent], String)? {
        guard let pointer = try? JSONPointer(parsing: path), let last = pointer.tokens.last else { return nil }
        var components: [JSONPathComponent] = []
        var current = document
        for token in pointer.tokens.dropLast() {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                components.append(.key(token))
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else { return nil }
                components.append(.index(index))
                current = elements[index]
            default:
                return nil
            }
        }
        switch current {
        case .object, .array: return (components, last)
        default: return nil
        }
    }

    /// The component for an existing member `key` of the container at `parent`, or nil.
    fileprivate static func existing(_ key: String, parent: [JSONPathComponent], in document: JSON)
        -> JSONPathComponent?
    {
        switch document.value(at: parent) {
        case .object(let object)?:
            return object.contains(key) ? .key(key) : nil
        case .array(let elements)?:
            guard let index = Int(key), elements.indices.contains(index) else { return nil }
            return .index(index)
        default:
            return nil
        }
    }

    fileprivate static func add(
        _ value: JSON, at path: String, in document: inout JSON, operation: String, destination: Bool = false
    ) throws(PatchError) {
        if path.isEmpty {
            document = value
            return
        }
        guard let (parent, key) = locate(path, in: document) else {
            let message =
                destination
                ? "\(operation) operation does not apply: doc is missing destination path: \(path): missing value"
                : "\(operation) operation does not apply: doc is missing path: \"\(path)\": missing value"
            throw .notApplicable(message)
        }
        let context =
            operation == "copy" ? "error while adding value during copy" : "error in \(operation) for path: '\(path)'"
        switch document.value(at: parent) {
        case .object?:
            write(value, at: parent + [.key(key)], in: &document)
        case .array(var elements)?:
            if key == "-" {
                elements.append(value)
            } else {
                guard let index = Int(key) else {
                    throw .notApplicable("\(context): value was not a proper array index: '\(key)'")
                }
                guard index >= 0, index <= elements.count else {
                    throw .notApplicable(
                        "\(context): Unable to access invalid index: \(index): invalid index referenced")
                }
                elements.insert(value, at: index)
            }
            replaceContainer(.array(elements), at: parent, in: &document)
        default:
            throw .notApplicable(
                "\(operation) operation does not apply: doc is missing path: \"\(path)\": missing value")
        }
    }

    @discardableResult
    fileprivate static func remove(
        _ key: String, parent: [JSONPathComponent], in document: inout JSON, context: String
    ) throws(PatchError) -> JSON {
        switch document.value(at: parent) {
        case .object(let object)?:
            guard let value = object[key] else {
                throw .notApplicable("\(context): Unable to remove nonexistent key: \(key): missing value")
            }
            document.removeValue(at: parent + [.key(key)])
            return value
        case .array(let elements)?:
            guard let index = Int(key), elements.indices.contains(index) else {
                throw .notApplicable(
                    "\(context): Unable to access invalid index: \(Int(key).map(String.init) ?? key): "
                        + "invalid index referenced"
                )
            }
            document.removeValue(at: parent + [.index(index)])
            return elements[index]
        default:
            throw .notApplicable("\(context): missing value")
        }
    }

    /// Writes at a path whose containers are known to exist. Goes through the parent container so that an explicit
    /// `null` is stored as a value rather than taken for "nothing written".
    fileprivate static func write(_ value: JSON, at path: [JSONPathComponent], in document: inout JSON) {
        guard let last = path.last else {
            document = value
            return
        }
        let parent = Array(path.dropLast())
        switch (last, document.value(at: parent)) {
        case (.key(let key), .object(var object)?):
            object.updateValue(value, forKey: key)
            replaceContainer(.object(object), at: parent, in: &document)
        case (.index(let index), .array(var elements)?) where elements.indices.contains(index):
            elements[index] = value
            replaceContainer(.array(elements), at: parent, in: &document)
        default:
            break
        }
    }

    private static func replaceContainer(_ container: JSON, at path: [JSONPathComponent], in document: inout JSON) {
        if path.isEmpty {
            document = container
        } else {
            // The container exists (it was just read from this path), so the checked write cannot fail.
            try? document.set(container, at: path)
        }
    }
}

extension JSON {
    /// The name Go's decoder uses for this kind of value in unmarshal errors.
    var goTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double, .bigNumber: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
