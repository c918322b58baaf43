extension LabelSelector {
    /// Parses the string form (upstream `labels.Parse`): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
    /// `!a`, `a>1`, `a<1`, joined by commas; the empty string selects everything. Errors carry upstream's wording,
    /// e.g. `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`.
    public init(parsing text: String) throws(SelectorError) {
        var parser = LabelSelectorParser(tokens: LabelSelectorLexer.tokens(of: text))
        self.init(requirements: try parser.parse())
    }

    /// Builds the selector of a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions` with `In`,
    /// `NotIn`, `Exists`, `DoesNotExist`), as upstream `LabelSelectorAsSelector`: `null` selects nothing and `{}`
    /// selects everything.
    public init(labelSelector json: JSON) throws(SelectorError) {
        guard case .object(let object) = json else {
            guard json.isNull else { throw SelectorError("invalid label selector: expected an object, got \(json)") }
            self = .nothing
            return
        }
        var requirements: [Requirement] = []
        switch object["matchLabels"] {
        case .object(let labels)?:
            for (key, value) in labels {
                guard let text = value.stringValue else {
                    throw SelectorError("invalid label selector: matchLabels[\(key)] must be a string")
                }
                requirements.append(try Requirement(key: key, operator: .equals, values: [text]))
            }
        case nil, .null?:
            break
        default:
            throw SelectorError("invalid label selector: matchLabels must be an object")
        }
        switch object["matchExpressions"] {
        case .array(let expressions)?:
            for expression in expressions {
                let key = expression["key"].stringValue ?? ""
                let operatorName = expression["operator"].stringValue ?? ""
                let op: Operator
                switch operatorName {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: throw SelectorError("\"\(operatorName)\" is not a valid label selector operator")
                }
                let values = expression["values"].arrayValue?.compactMap(\.stringValue) ?? []
                requirements.append(try Requirement(key: key, operator: op, values: values))
            }
        case nil, .null?:
            break
        default:
            throw SelectorError("invalid label selector: matchExpressions must be an array")
        }
        self.init(requirements: requirements)
    }
}

/// The tokens of upstream's label selector lexer.
enum LabelSelectorToken: Equatable {
    case error, endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier, `in`
    case lessThan, notEquals, notIn, openPar
}

/// Upstream's lexer: identifiers run until whitespace or a special symbol; special symbols combine greedily.
enum LabelSelectorLexer {
    static let keywords: [String: LabelSelectorToken] = [
        ")": .closedPar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

    static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default:
            return false
        }
    }

    static func tokens(of text: String) -> [(LabelSelectorToken, String)] {
        let bytes = Array(text.utf8)
        var position = 0
        var result: [(LabelSelectorToken, String)] = []
        while true {
            while position < bytes.count && isWhitespace(bytes[position]) { position += 1 }
            guard position < bytes.count else {
                result.append((.endOfString, ""))
                return result
            }
            if isSpecial(bytes[position]) {
                var buffer: [UInt8] = []
                var last: (LabelSelectorToken, String)?
                while position < bytes.count && isSpecial(bytes[position]) {
                    buffer.append(bytes[position])
                    let candidate = String(decoding: buffer, as: UTF8.self)
                    if let token = keywords[candidate] {
                        last = (token, candidate)
                        position += 1
                    } else if last != nil {
                        break
                    } else {
                        position += 1
                    }
                }
                result.append(
                    last ?? (.error, "error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'"))
            } else {
                let start = position
                while position < bytes.count && !isSpecial(bytes[position]) && !isWhitespace(bytes[position]) {
                    position += 1
                }
                let literal = String(decoding: bytes[start..<position], as: UTF8.self)
                result.append((keywords[literal] ?? .identifier, literal))
            }
        }
    }
}

/// Upstream's recursive-descent parser over the scanned tokens.
struct LabelSelectorParser {
    private enum Context { case keyAndOperator, values }

    let tokens: [(LabelSelectorToken, String)]
    private var position = 0

    init(tokens: [(LabelSelectorToken, String)]) {
        self.tokens = tokens
    }

    private func lookahead(_ context: Context) -> (LabelSelectorToken, String) {
        let item = tokens[min(position, tokens.count - 1)]
        if context == .values, item.0 == .in || item.0 == .notIn { return (.identifier, item.1) }
        return item
    }

    private mutating func consume(_ context: Context) -> (LabelSelectorToken, String) {
        let item = lookahead(context)
        position += 1
        return item
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw SelectorError("unable to parse requirement: \(error.message)")
                }
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .endOfString:
                    return requirements
                case .comma:
                    let (after, afterLiteral) = lookahead(.values)
                    if after != .identifier && after != .doesNotExist {
                        throw SelectorError("found '\(afterLiteral)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw SelectorError("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        var (token, literal) = consume(.values)
        var op: LabelSelector.Operator?
        if token == .doesNotExist {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        guard token == .identifier else { throw SelectorError("found '\(literal)', expected: identifier") }
        let key = literal
        if let error = LabelValidation.keyError(key, path: "") { throw SelectorError(error) }
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma, op == nil {
            op = .exists
        }
        if let op {
            // `!key` or `key`: an existence requirement (a `!key` followed by more is reported by the caller).
            return try LabelSelector.Requirement(key: key, operator: op, values: [], keyPath: nil)
        }
        let (operatorToken, operatorLiteral) = consume(.keyAndOperator)
        let parsed: LabelSelector.Operator
        switch operatorToken {
        case .in: parsed = .in
        case .equals: parsed = .equals
        case .doubleEquals: parsed = .doubleEquals
        case .greaterThan: parsed = .greaterThan
        case .lessThan: parsed = .lessThan
        case .notIn: parsed = .notIn
        case .notEquals: parsed = .notEquals
        default:
            throw SelectorError("found '\(operatorLiteral)', expected: in, notin, =, ==, !=, gt, lt")
        }
        let values: [String]
        switch parsed {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try LabelSelector.Requirement(key: key, operator: parsed, values: values, keyPath: nil)
    }

    /// `(a,b,c)`, returned sorted and without duplicates as upstream's string set lists them.
    private mutating func parseValues() throws(SelectorError) -> [String] {
        let (token, literal) = consume(.values)
        guard token == .openPar else { throw SelectorError("found '\(literal)' expected: '('") }
        let (next, nextLiteral) = lookahead(.values)
        switch next {
        case .identifier, .comma:
            let values = try parseIdentifiersList()
            guard consume(.values).0 == .closedPar else {
                throw SelectorError("found '\(nextLiteral)', expected: ')'")
            }
            return values
        case .closedPar:
            _ = consume(.values)
            return [""]
        default:
            throw SelectorError("found '\(nextLiteral)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifiersList() throws(SelectorError) -> [String] {
        var values = Set<String>()
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedPar: return values.sorted()
                default: throw SelectorError("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closedPar {
                    values.insert("")
                    return values.sorted()
                }
                if next == .comma { values.insert("") }
            default:
                throw SelectorError("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(SelectorError) -> [String] {
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        guard token == .identifier else { throw SelectorError("found '\(literal)', expected: identifier") }
        return [literal]
    }
}
