import SkiffModel

/// Side effects of one resource's writes that live outside the object, so unlike a `ResourceStrategy` they hold
/// state (upstream's `BeginCreate`, `BeginUpdate` and `AfterDelete` store hooks, plus cache invalidation).
protocol StorageHooks: Sendable {
    /// Called when an update or delete of `name` begins, and again once it has ended, stored or not.
    func writeBoundary(_ type: ResourceType, name: String)
    /// Claims what a new object needs before it is stored (it may fill fields in); nil when nothing was claimed.
    func beginCreate(_ type: ResourceType, _ object: inout JSON) throws(APIError) -> (any WriteCompletion)?
    /// As `beginCreate`, for a main-endpoint update of `old`.
    func beginUpdate(_ type: ResourceType, _ object: inout JSON, old: JSON) throws(APIError) -> (any WriteCompletion)?
    /// The object has left the store.
    func afterDelete(_ type: ResourceType, _ object: JSON)
}

extension StorageHooks {
    func writeBoundary(_ type: ResourceType, name: String) {}

    func beginCreate(_ type: ResourceType, _ object: inout JSON) throws(APIError) -> (any WriteCompletion)? { nil }

    func beginUpdate(_ type: ResourceType, _ object: inout JSON, old: JSON) throws(APIError) -> (any WriteCompletion)? {
        nil
    }

    func afterDelete(_ type: ResourceType, _ object: JSON) {}
}

/// What a `begin…` hook claimed: `commit` once the write is stored, `rollback` when it is not.
protocol WriteCompletion {
    func commit()
    func rollback()
}
