/// An RFC 6901 JSON pointer such as `/metadata/labels/app.kubernetes.io~1name` or `/spec/containers/-`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The decoded reference tokens (`~1` is `/`, `~0` is `~`); empty for the whole document.
    public var tokens: [String]

    /// A pointer from decoded tokens.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses the string form: empty, or `/`-separated tokens with `~0` and `~1` escapes.
    public init(parsing text: String) throws(PatchError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw .invalid("JSON pointer \"\(text)\" must be empty or start with '/'")
        }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let character = iterator.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default:
                    throw .invalid("JSON pointer \"\(text)\" has an invalid escape: '~' must be followed by 0 or 1")
                }
            }
            result.append(token)
        }
        tokens = result
    }

    /// The string form with `~` and `/` escaped.
    public var description: String {
        tokens.map { "/" + $0.replacingTildeAndSlash() }.joined()
    }

    /// Whether `self` is a proper prefix of `other` (a value cannot be moved into its own child).
    func isProperPrefix(of other: JSONPointer) -> Bool {
        tokens.count < other.tokens.count && Array(other.tokens.prefix(tokens.count)) == tokens
    }
}

extension String {
    fileprivate func replacingTildeAndSlash() -> String {
        var out = ""
        for character in self {
            switch character {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(character)
            }
        }
        return out
    }
}
