import SkiffModel

/// One object an auto-deploy manifest declares, as its Addon records it: enough to find it again and prune it.
public struct AddonObjectReference: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var apiVersion: String
    public var kind: String
    /// Nil for cluster-scoped objects.
    public var namespace: String?
    public var name: String

    public init(apiVersion: String, kind: String, namespace: String?, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// An entry of an Addon's `status.objects`; nil when it lacks a field.
    public init?(json: JSON) {
        guard let apiVersion = json["apiVersion"].stringValue, let kind = json["kind"].stringValue,
            let name = json["name"].stringValue
        else { return nil }
        let namespace = json["namespace"].stringValue
        self.init(
            apiVersion: apiVersion, kind: kind, namespace: namespace?.isEmpty == false ? namespace : nil, name: name)
    }

    public var json: JSON {
        var entry: JSON = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name)]
        if let namespace { entry["namespace"] = .string(namespace) }
        return entry
    }

    /// `Deployment.apps/web -n default`, as an operator reads it in an event.
    public var description: String {
        let group = apiVersion.split(separator: "/").dropLast().first.map { ".\($0)" } ?? ""
        return "\(kind)\(group)/\(name)" + (namespace.map { " -n \($0)" } ?? "")
    }

    /// Namespaces and CustomResourceDefinitions before the objects that live in or use them.
    var applyRank: Int {
        switch kind {
        case "Namespace": 0
        case "CustomResourceDefinition": 1
        default: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.applyRank, lhs.apiVersion, lhs.kind, lhs.namespace ?? "", lhs.name)
            < (rhs.applyRank, rhs.apiVersion, rhs.kind, rhs.namespace ?? "", rhs.name)
    }
}
