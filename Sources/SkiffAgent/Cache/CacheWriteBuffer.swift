/// One object the agent's cache holds: its kind (`pods`, `secrets`…), namespace ("" for cluster-scoped) and name.
public struct CacheKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public static func < (a: CacheKey, b: CacheKey) -> Bool {
        (a.kind, a.namespace, a.name) < (b.kind, b.namespace, b.name)
    }

    public var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)" }
}

/// The cache's writes that have not reached the disk yet, coalesced by key: whatever happened to an object since the
/// last flush, only its last state is written (a pod whose status changed ten times in a second is written once,
/// and one created and deleted in between is not written at all if it was never on disk). Pure; `AgentCache` owns it.
public struct CacheWriteBuffer: Sendable, Equatable {
    /// What a flush does to one key.
    public enum Write: Sendable, Equatable {
        case put([UInt8])
        case delete
    }

    private var pending: [CacheKey: Write] = [:]

    public init() {}

    public var isEmpty: Bool { pending.isEmpty }
    public var count: Int { pending.count }

    public mutating func put(_ key: CacheKey, _ bytes: [UInt8]) { pending[key] = .put(bytes) }

    public mutating func delete(_ key: CacheKey) { pending[key] = .delete }

    /// The writes to make, in key order, leaving the buffer empty.
    public mutating func take() -> [(CacheKey, Write)] {
        let writes = pending.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        pending.removeAll(keepingCapacity: true)
        return writes
    }

    /// Puts writes that could not be flushed back, under anything newer recorded since.
    public mutating func restore(_ writes: [(CacheKey, Write)]) {
        for (key, write) in writes where pending[key] == nil { pending[key] = write }
    }
}
