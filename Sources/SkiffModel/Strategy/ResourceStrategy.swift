/// What the registry does differently for one resource, beyond the metadata rules every object follows (upstream's
/// `rest.RESTCreateStrategy`, `RESTUpdateStrategy` and `RESTDeleteStrategy`): defaulting, validation, which fields an
/// endpoint may change, when the generation moves, what holds and marks a deletion.
///
/// Every method is a pure function of its arguments and throws only `APIError`s. The extension gives what a resource
/// without rules of its own gets (most built-ins and every custom resource); a strategy overrides only what differs.
public protocol ResourceStrategy: Sendable {
    /// Whether `metadata.generation` follows the spec: 1 on create when there is a spec, +1 on each spec change.
    var tracksGeneration: Bool { get }
    /// Whether a PUT of an absent object creates it (upstream `AllowCreateOnUpdate`).
    var allowCreateOnUpdate: Bool { get }
    /// Whether a PUT without `metadata.resourceVersion` overwrites the live object (upstream
    /// `AllowUnconditionalUpdate`); when false it is refused as Invalid.
    var allowUnconditionalUpdate: Bool { get }
    /// Whether a completed delete answers the deleted object rather than a `Status` (pods, as upstream).
    var returnsDeletedObject: Bool { get }

    /// Checks a new object's name (DNS-1123 subdomain unless the resource asks for more).
    func validateName(_ name: String, type: ResourceType) throws(APIError)
    /// Defaults (upstream's scheme defaulting), applied on create and on every update of the main endpoint.
    func applyDefaults(_ object: inout JSON)
    /// Readies a new object for storage; the default applies the defaults.
    func prepareForCreate(_ object: inout JSON)
    /// Validates a new object; 422 Invalid on failure.
    func validate(_ object: JSON, type: ResourceType) throws(APIError)
    /// The object an update through `subresource` (nil: the main endpoint) stores, before system metadata is
    /// carried over: which fields come from the live object and which from the request (the status reset).
    func updatedObject(live: JSON, desired: JSON, subresource: String?, type: ResourceType) -> JSON
    /// Readies a changed object (main endpoint only); the default applies the defaults.
    func prepareForUpdate(_ object: inout JSON, old: JSON)
    /// Validates a changed object against its live version; the default validates it as new.
    func validateUpdate(_ object: JSON, old: JSON, type: ResourceType) throws(APIError)
    /// Whether a main-endpoint update changes what `metadata.generation` counts.
    func generationChanged(live: JSON, next: JSON) -> Bool
    /// Last normalization before the object is encoded for storage (upstream `Canonicalize`).
    func canonicalize(_ object: inout JSON)
    /// Finalizers outside `metadata.finalizers` that hold a deletion (namespaces' `spec.finalizers`).
    func deletionFinalizers(_ object: JSON) -> [String]
    /// Marks an object whose deletion waits for finalizers, after its deletionTimestamp is set.
    func prepareForDeletion(_ object: inout JSON)
    /// The label selector of the object's `scale` subresource, as `key=value,…`.
    func scaleSelector(_ object: JSON) -> String
}

extension ResourceStrategy {
    public var tracksGeneration: Bool { true }
    public var allowCreateOnUpdate: Bool { false }
    public var allowUnconditionalUpdate: Bool { true }
    public var returnsDeletedObject: Bool { false }

    public func validateName(_ name: String, type: ResourceType) throws(APIError) {
        try NameRules.check(name, NameValidation.subdomainErrors, type: type)
    }

    public func applyDefaults(_ object: inout JSON) {}

    public func prepareForCreate(_ object: inout JSON) { applyDefaults(&object) }

    public func validate(_ object: JSON, type: ResourceType) throws(APIError) {}

    public func updatedObject(live: JSON, desired: JSON, subresource: String?, type: ResourceType) -> JSON {
        UpdateScope.standard(live: live, desired: desired, subresource: subresource, type: type)
    }

    public func prepareForUpdate(_ object: inout JSON, old: JSON) { applyDefaults(&object) }

    public func validateUpdate(_ object: JSON, old: JSON, type: ResourceType) throws(APIError) {
        try validate(object, type: type)
    }

    public func generationChanged(live: JSON, next: JSON) -> Bool { live["spec"] != next["spec"] }

    public func canonicalize(_ object: inout JSON) {}

    public func deletionFinalizers(_ object: JSON) -> [String] { [] }

    public func prepareForDeletion(_ object: inout JSON) {}

    public func scaleSelector(_ object: JSON) -> String {
        guard let labels = object["spec"]["selector"]["matchLabels"].objectValue else { return "" }
        return LabelSelectorText.of(labels)
    }
}
