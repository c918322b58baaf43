/// A patch that could not be applied: a malformed patch (400), one that does not fit the object (422), or a
/// server-side apply that met fields owned by other managers (409).
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; decides the HTTP status.
    public enum Code: String, Sendable, Hashable {
        /// The patch document itself is malformed (400 BadRequest).
        case invalidPatch
        /// The patch is well formed but does not apply to this object (422 Invalid).
        case notApplicable
        /// Server-side apply changed fields that other managers own (409 Conflict).
        case conflict
    }

    /// What kind of failure this is.
    public var code: Code
    /// The message, worded like upstream's where there is one.
    public var message: String
    /// For ``Code/conflict``: each conflicting field and its owner.
    public var conflicts: [ApplyConflict]

    /// A failure with a message and no conflicts.
    public init(_ code: Code, _ message: String, conflicts: [ApplyConflict] = []) {
        self.code = code
        self.message = message
        self.conflicts = conflicts
    }

    /// The message.
    public var description: String { message }

    /// The `Status` the API server answers with.
    public var apiError: APIError {
        switch code {
        case .invalidPatch:
            return .badRequest(message)
        case .notApplicable:
            return APIError(code: 422, reason: "Invalid", message: message)
        case .conflict:
            // Upstream `NewApplyConflict`: one FieldManagerConflict cause per field, no name or kind in details.
            return APIError(
                code: 409, reason: "Conflict", message: message,
                causes: conflicts.map {
                    APIError.Cause(
                        type: "FieldManagerConflict", message: "conflict with \($0.manager)", field: $0.field)
                })
        }
    }

    static func invalid(_ message: String) -> PatchError { PatchError(.invalidPatch, message) }
    static func notApplicable(_ message: String) -> PatchError { PatchError(.notApplicable, message) }
}

/// One field that a server-side apply would change although another manager owns it.
public struct ApplyConflict: Sendable, Hashable, CustomStringConvertible {
    /// The owner as upstream prints it: `"kubectl"` for appliers, `"kubectl-edit" using apps/v1` for updaters.
    public var manager: String
    /// The field path as upstream prints it: `.spec.replicas`, `.spec.containers[name="app"].image`.
    public var field: String

    /// A conflict on `field` with `manager`.
    public init(manager: String, field: String) {
        self.manager = manager
        self.field = field
    }

    /// `conflict with "m": .spec.replicas`.
    public var description: String { "conflict with \(manager): \(field)" }
}
