extension JSON {
    /// The value at `path`, or nil when a step is missing or of the wrong kind (an explicit `null` is `.null`).
    public func value(at path: [JSONPathComponent]) -> JSON? {
        var current = self
        for component in path {
            switch (component, current) {
            case (.key(let key), .object(let object)):
                guard let i = object.index(forKey: key) else { return nil }
                current = object.entries[i].value
            case (.index(let index), .array(let elements)):
                guard elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The value at `path`, or nil when a step is missing or of the wrong kind.
    public func value(at path: JSONPathComponent...) -> JSON? {
        value(at: path)
    }

    /// Sets the value at `path`, creating missing objects on the way (a `null` counts as missing); appending at an
    /// array's `count` is allowed. Throws, leaving the value unchanged, when a step meets a value of the wrong kind or
    /// an index outside an array.
    public mutating func set(_ value: JSON, at path: [JSONPathComponent]) throws(JSONPathError) {
        try set(value, at: path[...], depth: 0, fullPath: path)
    }

    /// Sets the value at `path`; see ``set(_:at:)-(_,[JSONPathComponent])``.
    public mutating func set(_ value: JSON, at path: JSONPathComponent...) throws(JSONPathError) {
        try set(value, at: path)
    }

    private mutating func set(
        _ value: JSON,
        at rest: ArraySlice<JSONPathComponent>,
        depth: Int,
        fullPath: [JSONPathComponent]
    ) throws(JSONPathError) {
        guard let component = rest.first else {
            self = value
            return
        }
        let remaining = rest.dropFirst()
        switch component {
        case .key(let key):
            switch self {
            case .object, .null:
                try self[key].set(value, at: remaining, depth: depth + 1, fullPath: fullPath)
            default:
                throw mismatch(fullPath, depth, expected: "an object")
            }
        case .index(let index):
            guard case .array(let elements) = self else {
                throw mismatch(fullPath, depth, expected: "an array")
            }
            guard index >= 0, index <= elements.count else {
                let failed = Array(fullPath[...depth])
                throw JSONPathError(
                    code: .indexOutOfRange,
                    message: "index \(index) is out of range for \(JSON.describe(fullPath[..<depth])) "
                        + "with \(elements.count) elements",
                    path: failed
                )
            }
            try self[index].set(value, at: remaining, depth: depth + 1, fullPath: fullPath)
        }
    }

    private func mismatch(_ fullPath: [JSONPathComponent], _ depth: Int, expected: String) -> JSONPathError {
        JSONPathError(
            code: .typeMismatch,
            message: "cannot set \(JSONPathComponent.format(fullPath)): \(JSON.describe(fullPath[..<depth])) is "
                + "\(kindName), not \(expected)",
            path: Array(fullPath[...depth])
        )
    }

    private static func describe(_ prefix: ArraySlice<JSONPathComponent>) -> String {
        prefix.isEmpty ? "the root" : JSONPathComponent.format(prefix)
    }

    /// Removes the value at `path` (an array element is removed, shifting the rest); returns it, or nil when absent.
    @discardableResult
    public mutating func removeValue(at path: [JSONPathComponent]) -> JSON? {
        removeValue(at: path[...])
    }

    /// Removes the value at `path`; see ``removeValue(at:)-([JSONPathComponent])``.
    @discardableResult
    public mutating func removeValue(at path: JSONPathComponent...) -> JSON? {
        removeValue(at: path[...])
    }

    private mutating func removeValue(at rest: ArraySlice<JSONPathComponent>) -> JSON? {
        guard let component = rest.first else { return nil }
        let remaining = rest.dropFirst()
        switch (component, self) {
        case (.key(let key), .object(let object)):
            guard object.contains(key) else { return nil }
            if remaining.isEmpty { return removeValue(forKey: key) }
            return self[key].removeValue(at: remaining)
        case (.index(let index), .array(var elements)):
            guard elements.indices.contains(index) else { return nil }
            if remaining.isEmpty {
                self = .null
                defer { self = .array(elements) }
                return elements.remove(at: index)
            }
            return self[index].removeValue(at: remaining)
        default:
            return nil
        }
    }

    /// The kind of value, with an article, for messages ("an object", "a string").
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double, .bigNumber: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
