/// Upstream's wording helpers for check details (`policy/helpers.go`): quoting lists, plurals, and Go's byte-wise
/// sort order for the sets it prints.
enum PodSecurityText {
    /// `"a", "b"`: items quoted as-is, without escaping (upstream `joinQuote`).
    static func joinQuote(_ items: [String]) -> String {
        items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\""
    }

    /// `singular` for one, `plural` otherwise.
    static func pluralize(_ singular: String, _ plural: String, _ count: Int) -> String {
        count == 1 ? singular : plural
    }

    /// `container "a"` or `containers "a", "b"`.
    static func containers(_ names: [String]) -> String {
        pluralize("container", "containers", names.count) + " " + joinQuote(names)
    }

    /// Distinct items sorted byte-wise, as a Go `sets.String`'s `List()`.
    static func sortedSet<S: Sequence<String>>(_ items: S) -> [String] {
        sorted(Array(Set(items)))
    }

    /// Items sorted byte-wise, as Go's `sort.Strings`.
    static func sorted(_ items: [String]) -> [String] {
        items.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
