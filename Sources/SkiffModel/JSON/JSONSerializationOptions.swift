/// How ``JSON`` is written out.
public struct JSONSerializationOptions: Sendable, Hashable {
    /// Spaces per nesting level; 0 writes compact JSON with no whitespace at all.
    public var indent: Int
    /// Whether `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026`, as Go's `encoding/json` does by
    /// default (and so the Kubernetes API server).
    public var escapesHTML: Bool

    /// Options with the given indentation and HTML escaping.
    public init(indent: Int = 0, escapesHTML: Bool = true) {
        self.indent = max(0, indent)
        self.escapesHTML = escapesHTML
    }

    /// Compact, byte-for-byte what Go's `json.Marshal` writes for the same ordered value.
    public static let compact = JSONSerializationOptions()

    /// Two-space indentation, like Go's `json.MarshalIndent(v, "", "  ")`.
    public static let pretty = JSONSerializationOptions(indent: 2)
}
