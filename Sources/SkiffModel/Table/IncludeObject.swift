/// What each Table row carries in `object` (the `includeObject` query parameter).
public enum IncludeObject: String, Sendable, Hashable, CaseIterable {
    /// No object at all.
    case none = "None"
    /// A `PartialObjectMetadata` holding the object's metadata; the default, and what `--show-labels` reads.
    case metadata = "Metadata"
    /// The whole object (kubectl asks for it with `--sort-by`).
    case object = "Object"

    /// Parses the query parameter; absent means ``metadata``, an unknown value nil (upstream answers 400).
    public init?(query: String?) {
        guard let query, !query.isEmpty else {
            self = .metadata
            return
        }
        self.init(rawValue: query)
    }
}
