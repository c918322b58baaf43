/// A field selector (`metadata.name=x,spec.nodeName!=y,status.phase==Running`): terms that all must hold, matched
/// against the selectable fields of a resource (see ``FieldLabels``).
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// `=` or `==` (equal) and `!=`.
    public enum Operator: String, Sendable, Hashable {
        /// `field=value` or `field==value`.
        case equals = "="
        /// `field!=value`.
        case notEquals = "!="
    }

    /// One term.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        /// The field label, e.g. `spec.nodeName`.
        public var field: String
        /// Equal or not equal.
        public var `operator`: Operator
        /// The unescaped value.
        public var value: String

        /// A term.
        public init(field: String, operator: Operator, value: String) {
            self.field = field
            self.operator = `operator`
            self.value = value
        }

        /// `field=value` with `\`, `,` and `=` escaped in the value.
        public var description: String {
            field + `operator`.rawValue + FieldSelector.escape(value)
        }
    }

    /// The terms, in upstream's order (sorted by their text).
    public private(set) var requirements: [Requirement]

    /// A selector of all `requirements`.
    public init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// The selector that matches every object.
    public static let everything = FieldSelector(requirements: [])

    /// Whether the selector places no requirement.
    public var isEmpty: Bool { requirements.isEmpty }

    /// The value a term requires `field` to equal, if any (upstream `RequiresExactMatch`); lets a list by
    /// `metadata.name` read one key instead of scanning.
    public func exactValue(for field: String) -> String? {
        requirements.first { $0.field == field && $0.operator == .equals }?.value
    }

    /// Parses the string form (upstream `fields.ParseSelector`): terms split on unescaped commas, each
    /// `field=value`, `field==value` or `field!=value`, values unescaping `\\`, `\,` and `\=`.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text).sorted() where !term.isEmpty {
            guard let (field, op, rawValue) = Self.splitTerm(term) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            requirements.append(Requirement(field: field, operator: op, value: try Self.unescape(rawValue)))
        }
        self.requirements = requirements
    }

    /// Checks that every field label is selectable on `resource` (the plural, e.g. `pods`).
    public func validate(resource: String) throws(SelectorError) {
        for requirement in requirements where !FieldLabels.isSupported(requirement.field, resource: resource) {
            throw SelectorError("field label not supported: \(requirement.field)")
        }
    }

    /// Whether `object` of `resource` is selected; a label the resource does not have reads as the empty string
    /// (call ``validate(resource:)`` first to reject those).
    public func matches(_ object: JSON, resource: String) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = FieldLabels.value(of: requirement.field, in: object, resource: resource) ?? ""
            return (actual == requirement.value) == (requirement.operator == .equals)
        }
    }

    /// The terms joined by `,`.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// Escapes `\`, `,` and `=` in a value (upstream `EscapeValue`).
    public static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            if character == "\\" || character == "," || character == "=" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    static func splitTerms(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        terms.append(current)
        return terms
    }

    /// Finds the first operator (`!=`, `==`, `=`, tried in that order at each position).
    static func splitTerm(_ term: String) -> (String, Operator, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            let rest = term[index...]
            for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] where rest.hasPrefix(token)
            {
                return (String(term[..<index]), op, String(rest.dropFirst(token.count)))
            }
            index = term.index(after: index)
        }
        return nil
    }

    static func unescape(_ value: String) throws(SelectorError) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) else { return value }
        var out = ""
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                guard scalar == "\\" || scalar == "," || scalar == "=" else {
                    throw SelectorError("invalid field selector: invalid escape sequence: \\\(scalar)")
                }
                out.unicodeScalars.append(scalar)
                escaped = false
                continue
            }
            switch scalar {
            case "\\":
                escaped = true
            case ",", "=":
                // Upstream prints the rune with %v, i.e. as its number.
                throw SelectorError("invalid field selector: unescaped character in value: \(scalar.value)")
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        if escaped { throw SelectorError("invalid field selector: invalid escape sequence: \\") }
        return out
    }
}
