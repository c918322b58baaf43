import Foundation
import SkiffModel

/// Request paths and query strings of the Kubernetes REST API, built without I/O so they can be tested alone.
public enum APIPath {
    /// `/api/v1/namespaces/<ns>/pods/<name>/<subresource>` and the other shapes, segments percent-encoded.
    public static func resource(
        _ type: ResourceType, namespace: String?, name: String? = nil, subresource: String? = nil
    ) -> String {
        var path = type.group.isEmpty ? "/api/\(type.version)" : "/apis/\(type.group)/\(type.version)"
        if type.namespaced, let namespace { path += "/namespaces/" + segment(namespace) }
        path += "/" + type.resource
        if let name {
            path += "/" + segment(name)
            if let subresource { path += "/" + segment(subresource) }
        }
        return path
    }

    /// `?a=b&c=d` from ordered pairs (empty when there are none), values percent-encoded.
    public static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\($0.0)=\(queryValue($0.1))" }.joined(separator: "&")
    }

    /// The query items of a list or watch.
    public static func listQuery(_ options: ListOptions) -> [(String, String)] {
        var items: [(String, String)] = []
        if let labels = options.labelSelector, !labels.isEmpty { items.append(("labelSelector", labels)) }
        if let fields = options.fieldSelector, !fields.isEmpty { items.append(("fieldSelector", fields)) }
        if let limit = options.limit { items.append(("limit", String(limit))) }
        return items
    }

    /// RFC 3986 unreserved characters only, so selectors (`=`, `!`, `,`, `in (a,b)`) survive any server's parser.
    private static let unreserved: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// Path segments keep `:` (RBAC names such as `system:nodes`) but never `/`, `?` or `#`.
    private static let segmentAllowed: CharacterSet = unreserved.union(CharacterSet(charactersIn: ":@"))

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? text
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
