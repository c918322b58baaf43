import SkiffModel

/// Response representation choices driven by the `Accept` header and `includeObject`.
enum Negotiation {
    static func wantsTable(_ accept: String?) -> Bool { TableVersion.negotiate(accept: accept) != nil }

    static func includeObject(_ value: String?) -> IncludeObject { IncludeObject(query: value) ?? .metadata }
}
