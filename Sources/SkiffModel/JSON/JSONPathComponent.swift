/// One step into a JSON value: an object key or an array index.
public enum JSONPathComponent: Sendable, Hashable {
    /// A key of an object.
    case key(String)
    /// A position in an array.
    case index(Int)
}

extension JSONPathComponent: ExpressibleByStringLiteral {
    /// A string literal is a key.
    public init(stringLiteral value: String) { self = .key(value) }
}

extension JSONPathComponent: ExpressibleByIntegerLiteral {
    /// An integer literal is an index.
    public init(integerLiteral value: Int) { self = .index(value) }
}

extension JSONPathComponent {
    /// A path as Kubernetes prints field paths: keys joined by `.`, indices as `[n]` (`spec.containers[0].name`).
    public static func format(_ path: some Collection<JSONPathComponent>) -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}
