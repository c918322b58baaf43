extension JSON: Hashable {
    /// Structural equality: strings compare byte-wise (like Go), objects ignore key order, and numbers of different
    /// kinds are never equal (`int(1) != double(1)`), as Go's `reflect.DeepEqual` sees `int64` and `float64`.
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.bigNumber(let a), .bigNumber(let b)): return JSONKey.equal(a, b)
        case (.string(let a), .string(let b)): return JSONKey.equal(a, b)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    /// Agrees with `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .bigNumber(let text):
            hasher.combine(4 as UInt8)
            JSONKey.hash(text, into: &hasher)
        case .string(let text):
            hasher.combine(5 as UInt8)
            JSONKey.hash(text, into: &hasher)
        case .array(let elements):
            hasher.combine(6 as UInt8)
            hasher.combine(elements.count)
            for element in elements { element.hash(into: &hasher) }
        case .object(let object):
            hasher.combine(7 as UInt8)
            object.hash(into: &hasher)
        }
    }
}
