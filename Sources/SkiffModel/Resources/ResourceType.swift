/// One kind of API object as the API server serves it: names, scope, verbs, subresources and printing.
/// Discovery, routing and storage keys are derived from these descriptions.
public struct ResourceType: Sendable, Hashable {
    /// API group; empty for the core (legacy) group.
    public var group: String
    public var version: String
    public var kind: String
    /// The plural, lower-case resource name used in URLs (`deployments`).
    public var resource: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var categories: [String]
    public var verbs: [String]
    public var subresources: [Subresource]
    /// A custom resource version's `schema.openAPIV3Schema` (nil for built-in types, whose schemas are in the
    /// schema registry): published in its group-version's OpenAPI document.
    public var customSchema: JSON?
    /// A custom resource version's `additionalPrinterColumns` (nil for built-in types, whose columns are upstream's):
    /// the columns of its `kubectl get` Tables.
    public var printerColumns: [PrinterColumn]? = nil

    public init(
        group: String, version: String, kind: String, resource: String, singular: String? = nil,
        namespaced: Bool, shortNames: [String] = [], categories: [String] = [], verbs: [String] = Verbs.all,
        subresources: [Subresource] = [], customSchema: JSON? = nil
    ) {
        self.customSchema = customSchema
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.singular = singular ?? kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.verbs = verbs
        self.subresources = subresources
    }

    /// `v1` or `apps/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var listKind: String { kind + "List" }
    /// `deployments.apps`, `pods`: how upstream names a resource in error messages.
    public var qualifiedResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    public func subresource(_ name: String) -> Subresource? {
        subresources.first { $0.name == name }
    }

    public func supports(_ verb: String) -> Bool { verbs.contains(verb) }
}

/// A subresource such as `status`, `scale` or `log`.
public struct Subresource: Sendable, Hashable {
    public var name: String
    /// The kind the subresource accepts and returns; nil for streams (`log`, `exec`).
    public var responseKind: GroupVersionKind?
    public var verbs: [String]

    public init(_ name: String, responseKind: GroupVersionKind? = nil, verbs: [String]) {
        self.name = name
        self.responseKind = responseKind
        self.verbs = verbs
    }

    /// `status` of the parent's own kind, readable and writable.
    public static func status(of kind: GroupVersionKind) -> Subresource {
        Subresource("status", responseKind: kind, verbs: ["get", "patch", "update"])
    }

    /// `scale` (autoscaling/v1 Scale).
    public static let scale = Subresource(
        "scale", responseKind: GroupVersionKind(group: "autoscaling", version: "v1", kind: "Scale"),
        verbs: ["get", "patch", "update"])
}

/// A group, version and kind.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

extension ResourceType {
    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
}

/// Verb sets used by built-in resources.
public enum Verbs {
    public static let all = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    public static let noCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"]
}
