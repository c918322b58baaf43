// Reading is null-propagating: `json["metadata"]["labels"]["app"]` is `.null` when any step is missing or of the
// wrong kind, so chains need no `?`. Use `objectValue?[key]` (which returns `JSON?`) or `contains(key:)` when an
// absent key and an explicit `null` must be told apart.
//
// Writing through the subscripts never traps: assigning through a key turns `.null` into an object and updates an
// object; assigning through an index replaces an element in range or appends at `count`. Any other assignment
// (a key on a string, an index out of range) is ignored. Use `set(_:at:)` for a checked write that reports why it
// failed.

extension JSON {
    /// The value for `key`, or `.null` when this is not an object or lacks the key.
    public subscript(key: String) -> JSON {
        get {
            guard case .object(let object) = self, let i = object.index(forKey: key) else { return .null }
            return object.entries[i].value
        }
        set {
            switch self {
            case .object(var object):
                self = .null  // drop our reference so the entries are uniquely owned and mutate in place
                object.updateValue(newValue, forKey: key)
                self = .object(object)
            case .null:
                self = .object(JSONObject(uniqueEntries: [JSONObject.Entry(key: key, value: newValue)]))
            default:
                break
            }
        }
        _modify {
            var object: JSONObject
            let wasObject: Bool
            switch self {
            case .object(let existing):
                object = existing
                wasObject = true
            case .null:
                object = JSONObject()
                wasObject = false
            default:
                var scratch = JSON.null
                yield &scratch
                return
            }
            self = .null  // drop our reference so the entries are uniquely owned and mutate in place
            let existing = object.index(forKey: key)
            let position = existing ?? object.append(key: key, value: .null)
            defer {
                // A nested write that did nothing must not leave a placeholder `null` key behind.
                if existing == nil, object.entries[position].value.isNull {
                    object.removeValue(forKey: key)
                }
                if wasObject || !object.isEmpty {
                    self = .object(object)
                }
            }
            yield &object.entries[position].value
        }
    }

    /// The element at `index`, or `.null` when this is not an array or `index` is out of range.
    public subscript(index: Int) -> JSON {
        get {
            guard case .array(let elements) = self, elements.indices.contains(index) else { return .null }
            return elements[index]
        }
        set {
            guard case .array(var elements) = self else { return }
            self = .null
            if elements.indices.contains(index) {
                elements[index] = newValue
            } else if index == elements.count {
                elements.append(newValue)
            }
            self = .array(elements)
        }
        _modify {
            guard case .array(var elements) = self, index >= 0, index <= elements.count else {
                var scratch = JSON.null
                yield &scratch
                return
            }
            self = .null
            let appended = index == elements.count
            if appended {
                elements.append(.null)
            }
            defer {
                // A nested write that did nothing must not leave a placeholder `null` element behind.
                if appended, elements[index].isNull {
                    elements.removeLast()
                }
                self = .array(elements)
            }
            yield &elements[index]
        }
    }

    /// Whether this is an object that has `key` (with any value, including `null`).
    public func contains(key: String) -> Bool {
        guard case .object(let object) = self else { return false }
        return object.contains(key)
    }

    /// Removes `key` from an object; returns the removed value, or nil when absent or not an object.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard case .object(var object) = self else { return nil }
        self = .null
        defer { self = .object(object) }
        return object.removeValue(forKey: key)
    }

    /// Appends to an array (turning `.null` into one); ignored on other kinds.
    public mutating func append(_ element: JSON) {
        switch self {
        case .array(var elements):
            self = .null
            elements.append(element)
            self = .array(elements)
        case .null:
            self = .array([element])
        default:
            break
        }
    }
}

extension JSON {
    /// Whether this is `null` (which is also what reading a missing key gives).
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, if this is an ``int(_:)``; like Go, `3.0` is not an integer.
    public var int64Value: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The integer as `Int`, if this is an ``int(_:)`` that fits.
    public var intValue: Int? {
        if case .int(let value) = self { return Int(exactly: value) }
        return nil
    }

    /// Any number as a `Double` (integers and big numbers rounded to the nearest double).
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .bigNumber(let text): return Double(text)
        default: return nil
        }
    }

    /// Whether this is a number of any kind.
    public var isNumber: Bool {
        switch self {
        case .int, .double, .bigNumber: return true
        default: return false
        }
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The object, if this is one.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }
}
