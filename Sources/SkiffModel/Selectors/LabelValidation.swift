/// Label key and value rules with upstream's (apimachinery v0.32 `util/validation`) error wording.
enum LabelValidation {
    static let qualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', "
        + "and must start and end with an alphanumeric character"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
        + "and must start and end with an alphanumeric character"
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        + "and must start and end with an alphanumeric character"
    static let subdomainFormat = #"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"#

    /// `field: Invalid value: "k": problems` for a bad label key, or nil (upstream `validateLabelKey`).
    static func keyError(_ key: String, path: String) -> String? {
        let problems = qualifiedNameProblems(key)
        guard !problems.isEmpty else { return nil }
        return "\(path): Invalid value: \(goQuote(key)): " + problems.joined(separator: "; ")
    }

    /// `field: Invalid value: "v": problems` for a bad label value, or nil (upstream `validateLabelValue`).
    static func valueError(_ value: String, path: String) -> String? {
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append("must be no more than 63 characters") }
        if !value.isEmpty && !isQualifiedNamePart(value) {
            problems.append(
                regexError(labelValueMessage, "(" + qualifiedNameFormat + ")?", "MyValue", "my_value", "12345"))
        }
        guard !problems.isEmpty else { return nil }
        return "\(path): Invalid value: \(goQuote(value)): " + problems.joined(separator: "; ")
    }

    /// Upstream `IsQualifiedName`.
    static func qualifiedNameProblems(_ value: String) -> [String] {
        var problems: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                problems.append("prefix part must be non-empty")
            } else {
                problems += subdomainProblems(prefix).map { "prefix part " + $0 }
            }
        default:
            return [
                "a qualified name "
                    + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            problems.append("name part must be no more than 63 characters")
        }
        if !isQualifiedNamePart(name) {
            problems.append(
                "name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc"))
        }
        return problems
    }

    /// Upstream `IsDNS1123Subdomain`.
    static func subdomainProblems(_ value: Substring) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 253 { problems.append("must be no more than 253 characters") }
        let valid = value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last else { return false }
            let lowerAlnum: (UInt8) -> Bool = { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
            return lowerAlnum(first) && lowerAlnum(last) && bytes.allSatisfy { lowerAlnum($0) || $0 == 0x2D }
        }
        if !valid { problems.append(regexError(subdomainMessage, subdomainFormat, "example.com")) }
        return problems
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
    static func isQualifiedNamePart<S: StringProtocol>(_ text: S) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        let alnum: (UInt8) -> Bool = {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
        }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    /// Upstream `RegexError`, including its doubled spaces before "or".
    static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        var text = message + " (e.g. "
        for (i, example) in examples.enumerated() {
            if i > 0 { text += " or " }
            text += "'" + example + "', "
        }
        return text + "regex used for validation is '" + format + "')"
    }

    /// One message, or `[a, b]` for several (upstream `utilerrors.Aggregate`).
    static func aggregate(_ messages: [String]) -> String {
        var unique: [String] = []
        for message in messages where !unique.contains(message) { unique.append(message) }
        return unique.count == 1 ? unique[0] : "[" + unique.joined(separator: ", ") + "]"
    }

    /// Go's `%q` for the strings that appear in selector errors.
    static func goQuote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Go's `%#v` of a `[]string`: `[]string{"a", "b"}`, or `[]string(nil)` when empty.
    static func goSliceLiteral(_ values: [String]) -> String {
        values.isEmpty ? "[]string(nil)" : "[]string{" + values.map(goQuote).joined(separator: ", ") + "}"
    }
}
