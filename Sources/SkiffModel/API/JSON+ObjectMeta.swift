/// Accessors for the `metadata` of a Kubernetes object held as `JSON`.
extension JSON {
    public var name: String? { self["metadata"]["name"].stringValue }
    public var namespace: String? { self["metadata"]["namespace"].stringValue }
    public var resourceVersion: String? { self["metadata"]["resourceVersion"].stringValue }
    public var uid: String? { self["metadata"]["uid"].stringValue }
    public var kind: String? { self["kind"].stringValue }
    public var apiVersion: String? { self["apiVersion"].stringValue }
    public var deletionTimestamp: String? { self["metadata"]["deletionTimestamp"].stringValue }

    public var labels: [String: String] { stringMap(self["metadata"]["labels"]) }
    public var annotations: [String: String] { stringMap(self["metadata"]["annotations"]) }

    public var finalizers: [String] {
        self["metadata"]["finalizers"].arrayValue?.compactMap(\.stringValue) ?? []
    }

    private func stringMap(_ value: JSON) -> [String: String] {
        guard let object = value.objectValue else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object { if let text = value.stringValue { result[key] = text } }
        return result
    }

    /// The object with `kind`, `apiVersion` and `metadata` as its first keys, the order upstream serializes in and
    /// the one stored bytes rely on.
    public func canonicalKeyOrder() -> JSON {
        guard case .object(let object) = self else { return self }
        var ordered = JSONObject(minimumCapacity: object.count)
        for key in ["kind", "apiVersion", "metadata"] {
            if let value = object[key] { _ = ordered.updateValue(value, forKey: key) }
        }
        for (key, value) in object where key != "kind" && key != "apiVersion" && key != "metadata" {
            _ = ordered.updateValue(value, forKey: key)
        }
        return .object(ordered)
    }
}
