/// One entry of an HTTP `Accept` header, such as `application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9`.
///
/// Kubernetes clients select alternative representations (tables, aggregated discovery, partial metadata) through
/// the `as`, `g` and `v` parameters, so these are exposed directly.
public struct MediaRange: Sendable, Hashable {
    /// The type, lower-cased (`application`, or `*`).
    public var type: String
    /// The subtype, lower-cased (`json`, or `*`).
    public var subtype: String
    /// Parameters other than `q`, names lower-cased, values as sent (quotes removed), in header order.
    public var parameters: [Parameter]
    /// The quality weight, 0...1; 1 when absent or unreadable.
    public var quality: Double

    /// A media range with the given parts.
    public init(type: String, subtype: String, parameters: [Parameter] = [], quality: Double = 1) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters.map { Parameter(name: $0.name, value: $0.value) }
        self.quality = quality
    }

    /// One `name=value` parameter.
    public struct Parameter: Sendable, Hashable {
        /// The name, lower-cased.
        public var name: String
        /// The value, without surrounding quotes.
        public var value: String

        /// A parameter; the name is lower-cased because parameter names are case-insensitive.
        public init(name: String, value: String) {
            self.name = name.lowercased()
            self.value = value
        }
    }

    /// The value of parameter `name` (case-insensitive), if present.
    public func parameter(_ name: String) -> String? {
        let wanted = name.lowercased()
        return parameters.first { $0.name == wanted }?.value
    }

    /// The `as` parameter: the kind of representation asked for (`Table`, `APIGroupDiscoveryList`).
    public var representation: String? { parameter("as") }
    /// The `g` parameter: the API group of the representation.
    public var group: String? { parameter("g") }
    /// The `v` parameter: the API version of the representation.
    public var version: String? { parameter("v") }

    /// Whether a JSON body satisfies this range: `application/json`, `application/*` or `*/*`.
    public var acceptsJSON: Bool {
        (type == "application" && (subtype == "json" || subtype == "*")) || (type == "*" && subtype == "*")
    }
}

extension MediaRange {
    /// Parses an `Accept` header into its ranges, most preferred first (by `q`, ties kept in header order).
    ///
    /// Unparseable entries are skipped rather than failing the header, as Go's negotiation does; ranges with
    /// `q=0` are dropped because they mean "not acceptable".
    public static func parseAccept(_ header: String?) -> [MediaRange] {
        guard let header else { return [] }
        var ranges: [MediaRange] = []
        for entry in splitOutsideQuotes(header, on: ",") {
            if let range = parse(entry), range.quality > 0 {
                ranges.append(range)
            }
        }
        // A stable sort keeps the client's own order among equal weights, which is what kubectl relies on.
        return ranges.enumerated().sorted { lhs, rhs in
            lhs.element.quality != rhs.element.quality
                ? lhs.element.quality > rhs.element.quality : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// Parses one media range (`type/subtype;param=value`), or nil when it has no `type/subtype`.
    public static func parse(_ text: Substring) -> MediaRange? {
        let pieces = splitOutsideQuotes(text, on: ";")
        guard let first = pieces.first else { return nil }
        let mime = first.trimmingWhitespace()
        guard let slash = mime.firstIndex(of: "/") else { return nil }
        let type = mime[..<slash].trimmingWhitespace()
        let subtype = mime[mime.index(after: slash)...].trimmingWhitespace()
        guard !type.isEmpty, !subtype.isEmpty else { return nil }
        var parameters: [Parameter] = []
        var quality = 1.0
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingWhitespace().lowercased()
            var value = piece[piece.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            guard !name.isEmpty else { continue }
            if name == "q" {
                quality = Double(value).map { min(max($0, 0), 1) } ?? 1
            } else {
                parameters.append(Parameter(name: name, value: value))
            }
        }
        return MediaRange(type: type, subtype: subtype, parameters: parameters, quality: quality)
    }

    private static func splitOutsideQuotes<S: StringProtocol>(_ text: S, on separator: Character) -> [Substring] {
        let whole = Substring(text)
        var parts: [Substring] = []
        var start = whole.startIndex
        var quoted = false
        var index = whole.startIndex
        while index < whole.endIndex {
            let character = whole[index]
            if character == "\"" {
                quoted.toggle()
            } else if character == separator, !quoted {
                parts.append(whole[start..<index])
                start = whole.index(after: index)
            }
            index = whole.index(after: index)
        }
        parts.append(whole[start...])
        return parts
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
