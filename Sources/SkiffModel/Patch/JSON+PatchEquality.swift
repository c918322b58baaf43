extension JSON {
    /// Equality as Go sees two values decoded into `interface{}`: every number is a float64, so `1`, `1.0` and
    /// `1e0` are equal; objects ignore key order. Patches compare merge keys and `test` values this way.
    func patchEquals(_ other: JSON) -> Bool {
        if isIdentical(to: other) { return true }
        switch (self, other) {
        case (.int(let a), .int(let b)):
            return a == b
        case (.int, .double), (.double, .int), (.double, .double), (.bigNumber, _), (_, .bigNumber):
            guard let a = doubleValue, let b = other.doubleValue else { return self == other }
            return a == b
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !x.patchEquals(y) { return false }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let theirs = b[key], value.patchEquals(theirs) else { return false }
            }
            return true
        default:
            return self == other
        }
    }

    /// The coarse kind of value, as Go's `reflect.TypeOf` tells apart decoded JSON (all numbers are one kind).
    var patchKind: PatchValueKind {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .int, .double, .bigNumber: return .number
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }
}

/// The kinds of JSON value that strategic merge tells apart.
enum PatchValueKind: String, Sendable {
    case null, bool, number, string, array, object
}
