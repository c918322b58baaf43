/// The `meta.k8s.io` version of a Table response; rows' `PartialObjectMetadata` use the same version.
public enum TableVersion: String, Sendable, Hashable, CaseIterable {
    /// `meta.k8s.io/v1`, what kubectl asks for first.
    case v1
    /// `meta.k8s.io/v1beta1`, for older clients.
    case v1beta1

    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`.
    public var apiVersion: String { "meta.k8s.io/\(rawValue)" }

    /// Whether an `Accept` header asks for a Table, and in which version.
    ///
    /// Walks the ranges in preference order: a JSON range with `as=Table;g=meta.k8s.io;v=v1|v1beta1` gives that
    /// version; a plain JSON range (no `as`) ranking higher means the client wants the object itself (nil). Ranges
    /// asking for other representations or non-JSON media types are passed over, since they are served elsewhere or
    /// not at all. kubectl's `get` sends `…as=Table;v=v1…,…as=Table;v=v1beta1…,application/json` and gets v1.
    public static func negotiate(accept: String?) -> TableVersion? {
        for range in MediaRange.parseAccept(accept) where range.acceptsJSON {
            guard let representation = range.representation else { return nil }
            guard representation == "Table", range.group == "meta.k8s.io",
                let version = range.version.flatMap(TableVersion.init(rawValue:))
            else { continue }
            return version
        }
        return nil
    }
}
