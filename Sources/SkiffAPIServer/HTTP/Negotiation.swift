import SkiffModel

/// Response representation choices driven by the `Accept` header and `includeObject`.
enum Negotiation {
    static func representation(_ accept: String?) -> Representation { Representation.negotiate(accept: accept) }

    static func includeObject(_ value: String?) -> IncludeObject { IncludeObject(query: value) ?? .metadata }

    /// Upstream's 406 for a representation the response cannot take (a list asked for as one object, or the reverse).
    static func notAcceptable(_ asked: String, _ actual: String) -> APIError {
        APIError(
            code: 406, reason: "NotAcceptable",
            message: "you requested \(asked), but the requested object is \(actual)")
    }
}
