/// A global, strictly increasing revision. Every write gets the next one; it is the Kubernetes `resourceVersion`.
public typealias Revision = Int64

/// One stored version of a key.
public struct KeyValue: Sendable, Equatable {
    /// The key, e.g. `/registry/pods/default/web-0`.
    public var key: String
    /// The stored bytes (a JSON object for Kubernetes resources).
    public var value: [UInt8]
    /// Revision of the write that created the key (survives updates, reset by delete + create).
    public var createRevision: Revision
    /// Revision of the write that produced this version (for a delete event: the delete itself).
    public var modRevision: Revision

    public init(key: String, value: [UInt8], createRevision: Revision, modRevision: Revision) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// A change observed by a watcher. Values are shared between watchers, never copied per watcher.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case created
        case updated
        case deleted
    }

    public var kind: Kind
    /// The new version; for `.deleted` the last value with `modRevision` set to the delete's revision.
    public var current: KeyValue
    /// The version this write replaced, when it is still known (nil for `.created`).
    public var previous: KeyValue?

    public var revision: Revision { current.modRevision }

    public init(kind: Kind, current: KeyValue, previous: KeyValue?) {
        self.kind = kind
        self.current = current
        self.previous = previous
    }
}

/// A range read: every live key under `prefix`, in key order, as of `revision`.
public struct ListRequest: Sendable, Equatable {
    public var prefix: String
    /// Resume after this key (exclusive); used by continue tokens.
    public var startAfter: String?
    /// At most this many items; nil or 0 means all.
    public var limit: Int?
    /// Read as of this revision; nil means the current one.
    public var revision: Revision?

    public init(prefix: String, startAfter: String? = nil, limit: Int? = nil, revision: Revision? = nil) {
        self.prefix = prefix
        self.startAfter = startAfter
        self.limit = limit
        self.revision = revision
    }
}

/// The answer to a `ListRequest`.
public struct ListResult: Sendable, Equatable {
    public var items: [KeyValue]
    /// The revision the list was read at; pass it back with `startAfter` to page consistently.
    public var revision: Revision
    /// True when more items follow the last one returned.
    public var hasMore: Bool

    public init(items: [KeyValue], revision: Revision, hasMore: Bool) {
        self.items = items
        self.revision = revision
        self.hasMore = hasMore
    }
}

/// The revisioned key-value store every part of skiff writes through.
///
/// Implementations: `MemoryStore` (tests), `SQLiteStore` (default); the protocol makes no SQLite assumption so a
/// shared PostgreSQL store can implement it for HA.
public protocol KeyValueStore: Sendable {
    /// Creates `key`; fails with `.keyExists` if it is live.
    @discardableResult
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> KeyValue
    /// Replaces `key` if its current `modRevision` is `expectedRevision`; `.conflict` otherwise.
    @discardableResult
    func update(_ key: String, value: [UInt8], expectedRevision: Revision) async throws(StoreError) -> KeyValue
    /// Deletes `key` (only if at `expectedRevision`, when given) and returns the deleted version, whose
    /// `modRevision` is the revision of the delete.
    @discardableResult
    func delete(_ key: String, expectedRevision: Revision?) async throws(StoreError) -> KeyValue
    /// The live version of `key` as of `revision` (current when nil).
    func get(_ key: String, revision: Revision?) async throws(StoreError) -> KeyValue?
    /// Live keys under a prefix, paginated, as of a revision.
    func list(_ request: ListRequest) async throws(StoreError) -> ListResult
    /// Every change under `prefix` with a revision greater than `revision`, then live changes as they commit.
    /// Fails with `.expired` if `revision` was compacted; the stream ends with `.expired` if the watcher falls behind.
    func watch(prefix: String, after revision: Revision) async throws(StoreError) -> WatchStream
    /// The revision of the latest committed write.
    func currentRevision() async throws(StoreError) -> Revision
    /// The revision below which history is gone (0 when never compacted).
    func compactedRevision() async throws(StoreError) -> Revision
    /// Drops history at or below `revision` that no reader at a later revision needs. Returns removed rows.
    @discardableResult
    func compact(upTo revision: Revision) async throws(StoreError) -> Int
}

extension KeyValueStore {
    /// The live version of `key` now.
    public func get(_ key: String) async throws(StoreError) -> KeyValue? {
        try await get(key, revision: nil)
    }
}
