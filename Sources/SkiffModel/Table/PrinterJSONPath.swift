import Foundation

/// The JSONPath subset CRD `additionalPrinterColumns` use (`.spec.replicas`, `.status.conditions[?(@.type=="Ready")]
/// .status`, `.metadata.labels['app.kubernetes.io/name']`, `.items[0]`, `.items[*].name`).
///
/// Like kubectl's printer, a column shows the first value the path finds.
struct PrinterJSONPath: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case field(String)
        case index(Int)
        case wildcard
        /// `[?(@.a.b == "value")]` (or `!=`); `value` nil tests that the field exists.
        case filter(path: [String], equals: Bool, value: JSON?)
    }

    let steps: [Step]

    /// Parses `path`, with or without kubectl's surrounding braces; nil when it uses syntax outside the subset.
    init?(_ path: String) {
        var text = Substring(path.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("{"), text.hasSuffix("}") { text = text.dropFirst().dropLast() }
        guard text.hasPrefix(".") || text.hasPrefix("[") || text.hasPrefix("$") else { return nil }
        if text.hasPrefix("$") { text = text.dropFirst() }
        var steps: [Step] = []
        while let first = text.first {
            if first == "." {
                text = text.dropFirst()
                if text.isEmpty { break }  // "." alone is the whole object
                var name = ""
                while let character = text.first, character != ".", character != "[" {
                    if character == "\\", let escaped = text.dropFirst().first {
                        name.append(escaped)
                        text = text.dropFirst(2)
                        continue
                    }
                    name.append(character)
                    text = text.dropFirst()
                }
                if name == "*" {
                    steps.append(.wildcard)
                } else if !name.isEmpty {
                    steps.append(.field(name))
                } else {
                    return nil
                }
            } else if first == "[" {
                guard let close = Self.closingBracket(in: text) else { return nil }
                let inner = text[text.index(after: text.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                text = text[text.index(after: close)...]
                guard let step = Self.bracketStep(inner) else { return nil }
                steps.append(step)
            } else {
                return nil
            }
        }
        self.steps = steps
    }

    /// The first value `path` selects in `root`, or nil when it selects nothing.
    func firstValue(in root: JSON) -> JSON? {
        Self.evaluate(steps[...], on: root)
    }

    private static func evaluate(_ steps: ArraySlice<Step>, on value: JSON) -> JSON? {
        guard let step = steps.first else { return value }
        let rest = steps.dropFirst()
        switch step {
        case .field(let name):
            guard let next = value.objectValue?[name] else { return nil }
            return evaluate(rest, on: next)
        case .index(let index):
            guard let elements = value.arrayValue else { return nil }
            let position = index < 0 ? elements.count + index : index
            guard elements.indices.contains(position) else { return nil }
            return evaluate(rest, on: elements[position])
        case .wildcard:
            let children = value.arrayValue ?? value.objectValue?.values ?? []
            for child in children {
                if let found = evaluate(rest, on: child) { return found }
            }
            return nil
        case .filter(let path, let equals, let expected):
            for element in value.arrayValue ?? [] {
                var probe: JSON? = element
                for name in path { probe = probe?.objectValue?[name] }
                let matches: Bool
                if let expected {
                    matches = (probe == expected) == equals
                } else {
                    matches = probe != nil
                }
                if matches, let found = evaluate(rest, on: element) { return found }
            }
            return nil
        }
    }

    private static func closingBracket(in text: Substring) -> Substring.Index? {
        var quote: Character?
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "]" {
                return index
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func bracketStep(_ inner: String) -> Step? {
        if inner == "*" { return .wildcard }
        if let index = Int(inner) { return .index(index) }
        if let name = unquoted(inner) { return .field(name) }
        guard inner.hasPrefix("?("), inner.hasSuffix(")") else { return nil }
        let condition = inner.dropFirst(2).dropLast().trimmingCharacters(in: .whitespaces)
        guard condition.hasPrefix("@.") else { return nil }
        let (lhs, equals, rhs): (String, Bool, String?)
        if let range = condition.range(of: "==") {
            (lhs, equals, rhs) = (String(condition[..<range.lowerBound]), true, String(condition[range.upperBound...]))
        } else if let range = condition.range(of: "!=") {
            (lhs, equals, rhs) = (String(condition[..<range.lowerBound]), false, String(condition[range.upperBound...]))
        } else {
            (lhs, equals, rhs) = (condition, true, nil)
        }
        let path = lhs.trimmingCharacters(in: .whitespaces).dropFirst(2).split(separator: ".").map(String.init)
        guard !path.isEmpty else { return nil }
        guard let rhs = rhs?.trimmingCharacters(in: .whitespaces) else {
            return .filter(path: path, equals: true, value: nil)
        }
        let value: JSON
        if let text = unquoted(rhs) {
            value = .string(text)
        } else if let integer = Int64(rhs) {
            value = .int(integer)
        } else if rhs == "true" || rhs == "false" {
            value = .bool(rhs == "true")
        } else {
            return nil
        }
        return .filter(path: path, equals: equals, value: value)
    }

    private static func unquoted(_ text: String) -> String? {
        guard text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first else {
            return nil
        }
        return String(text.dropFirst().dropLast())
    }
}
