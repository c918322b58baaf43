/// A JSON value with ordered object keys and exact integers.
///
/// Numbers keep their kind: an integer literal that fits in `Int64` is ``int(_:)`` and serializes back without a
/// fraction; a literal with a fraction or exponent is ``double(_:)``; an integer beyond `Int64` (or a literal whose
/// magnitude overflows `Double`) is ``bigNumber(_:)`` and keeps its exact text. `-0` parses as `double(-0.0)` so
/// its sign survives a round trip.
///
/// Deeply nested values recurse when compared, hashed, serialized and destroyed; the parser's depth limit (512 by
/// default) keeps parsed values far from the stack limit. Build values nested thousands deep at your own risk.
public enum JSON: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in `Int64`.
    case int(Int64)
    /// A number with a fraction or exponent. Serializing a non-finite value writes `null`.
    case double(Double)
    /// A number literal kept as text because it does not fit `Int64` or `Double`; it must be valid JSON number
    /// syntax (an invalid one serializes as `null`).
    case bigNumber(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSON])
    /// An object with ordered keys.
    case object(JSONObject)
}

extension JSON {
    /// An empty object.
    public static var emptyObject: JSON { .object(JSONObject()) }

    /// An empty array.
    public static var emptyArray: JSON { .array([]) }

    /// An integer value.
    public static func int(_ value: Int) -> JSON { .int(Int64(value)) }
}

extension JSON: ExpressibleByNilLiteral {
    /// `nil` is `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSON: ExpressibleByBooleanLiteral {
    /// A boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSON: ExpressibleByIntegerLiteral {
    /// An integer literal is an exact ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension JSON: ExpressibleByFloatLiteral {
    /// A float literal is a ``double(_:)``, even when integral.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSON: ExpressibleByStringLiteral {
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSON: ExpressibleByArrayLiteral {
    /// An array literal.
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
}

extension JSON: ExpressibleByDictionaryLiteral {
    /// An object in literal order; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

extension JSON: CustomStringConvertible {
    /// The compact serialization.
    public var description: String { serializedString() }
}
