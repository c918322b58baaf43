/// A parsed value plus what the parser noticed along the way.
public struct JSONParseResult: Sendable, Hashable {
    /// The value; for a repeated object key, the first position with the last value.
    public var value: JSON
    /// Repeated object keys, when the parser was asked to record them, in the order their objects close (inner
    /// objects first); at most 100, each path once, as Go's strict decoder caps its list.
    public var duplicateKeys: [JSONDuplicateKey]

    /// Creates a result.
    public init(value: JSON, duplicateKeys: [JSONDuplicateKey] = []) {
        self.value = value
        self.duplicateKeys = duplicateKeys
    }
}

/// An object key that appeared more than once, for Kubernetes `fieldValidation=Strict`.
public struct JSONDuplicateKey: Sendable, Hashable, CustomStringConvertible {
    /// The path of the repeated key, ending with the key itself.
    public var path: [JSONPathComponent]

    /// Creates a record.
    public init(path: [JSONPathComponent]) {
        self.path = path
    }

    /// The path as Kubernetes prints it: `spec.containers[0].name`.
    public var fieldPath: String { JSONPathComponent.format(path) }

    /// `duplicate field "spec.replicas"`, as the Kubernetes strict decoder words it.
    public var message: String {
        "duplicate field \(JSON.string(fieldPath).serializedString(.init(escapesHTML: false)))"
    }

    /// The message.
    public var description: String { message }
}
