/// Why a store operation failed. The API server maps codes to Kubernetes `Status` reasons at its edge.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Create of a key that is live (→ 409 AlreadyExists).
        case keyExists
        /// Update or delete of a key that is not live (→ 404 NotFound).
        case keyNotFound
        /// Compare-and-swap on a stale revision (→ 409 Conflict).
        case conflict
        /// The requested revision was compacted, or a watcher fell too far behind (→ 410 Expired).
        case expired
        /// A key or request the store refuses (→ 400 BadRequest).
        case invalidRequest
        /// The database file is not a skiff database or is damaged.
        case corrupt
        /// The database cannot be opened or written (I/O, permissions, locked by another process).
        case unavailable
        /// The store was closed.
        case closed
        /// The caller's task was cancelled (e.g. on shutdown) before the operation finished; not a store failure.
        case cancelled
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message): \(cause)" }
        return message
    }
}
