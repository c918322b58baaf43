import Synchronization

/// The in-memory twin of `SQLiteStore`: same semantics (revisions, CAS, history, compaction, watch), no durability.
/// Used by tests of everything above the store.
public final class MemoryStore: KeyValueStore {
    private struct Row {
        var revision: Revision
        var key: String
        var createRevision: Revision
        var prevRevision: Revision
        var deleted: Bool
        var value: [UInt8]
    }

    private struct State {
        /// The log in revision order; compaction removes dead rows from it.
        var log: [Row] = []
        /// Positions in `log` of every surviving row per key, oldest first.
        var byKey: [String: [Revision]] = [:]
        var current: Revision = 0
        var compacted: Revision = 0
    }

    private let state = Mutex(State())
    private let hub: WatchHub

    public init(maxWatchBacklog: Int = 100_000) {
        self.hub = WatchHub(lastPublished: 0, maxBacklog: maxWatchBacklog)
    }

    @discardableResult
    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try write(.create(key: key, value: value))
    }

    @discardableResult
    public func update(_ key: String, value: [UInt8], expectedRevision: Revision) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try write(.update(key: key, value: value, expectedRevision: expectedRevision))
    }

    @discardableResult
    public func delete(_ key: String, expectedRevision: Revision?) async throws(StoreError) -> KeyValue {
        try Keys.validate(key)
        return try write(.delete(key: key, expectedRevision: expectedRevision))
    }

    private func write(_ operation: WriteOperation) throws(StoreError) -> KeyValue {
        let result = state.withLock { state -> Result<KeyValue, StoreError> in
            let latest = Self.latestRow(operation.key, at: state.current, in: state).map {
                WriteOperation.Latest(
                    revision: $0.revision, createRevision: $0.createRevision, deleted: $0.deleted, value: $0.value)
            }
            switch operation.plan(latest: latest) {
            case .failure(let error):
                return .failure(error)
            case .success(let append):
                let revision = state.current + 1
                state.current = revision
                let (committed, event) = append.committed(at: revision)
                state.log.append(
                    Row(
                        revision: revision, key: append.key, createRevision: committed.createRevision,
                        prevRevision: append.prevRevision, deleted: append.deleted, value: append.value))
                state.byKey[append.key, default: []].append(revision)
                // Published under the store lock so events leave in revision order.
                hub.publish([event])
                return .success(committed)
            }
        }
        return try result.get()
    }

    public func get(_ key: String, revision: Revision?) async throws(StoreError) -> KeyValue? {
        try Keys.validate(key)
        return try state.withLock { state throws(StoreError) -> KeyValue? in
            let at = try Self.readable(revision, state)
            guard let row = Self.latestRow(key, at: at, in: state), !row.deleted else { return nil }
            return Self.keyValue(row)
        }
    }

    public func list(_ request: ListRequest) async throws(StoreError) -> ListResult {
        try Keys.validatePrefix(request.prefix)
        return try state.withLock { state throws(StoreError) -> ListResult in
            let at = try Self.readable(request.revision, state)
            var keys = state.byKey.keys.filter { key in
                key.hasPrefix(request.prefix) && request.startAfter.map { key > $0 } ?? true
            }
            keys.sort()
            let limit = (request.limit ?? 0) > 0 ? request.limit! : Int.max
            var items: [KeyValue] = []
            var hasMore = false
            for key in keys {
                guard let row = Self.latestRow(key, at: at, in: state), !row.deleted else { continue }
                if items.count == limit {
                    hasMore = true
                    break
                }
                items.append(Self.keyValue(row))
            }
            return ListResult(items: items, revision: at, hasMore: hasMore)
        }
    }

    /// How many watches are subscribed (diagnostics and tests: a departed client's watch must not linger).
    public var watcherCount: Int { hub.subscriberCount }

    public func watch(prefix: String, after revision: Revision) async throws(StoreError) -> WatchStream {
        try Keys.validatePrefix(prefix)
        return try await hub.subscribe(prefix: prefix, after: revision) { from, through throws(StoreError) in
            try self.history(prefix: prefix, after: from, through: through)
        }
    }

    private func history(prefix: String, after: Revision, through: Revision) throws(StoreError) -> [WatchEvent] {
        try state.withLock { state throws(StoreError) -> [WatchEvent] in
            if after < state.compacted {
                throw StoreError(.expired, "too old resource version: \(after) (\(state.compacted))")
            }
            let start = Self.position(after: after, in: state.log)
            return state.log[start...].prefix { $0.revision <= through }.filter { $0.key.hasPrefix(prefix) }.map {
                row in
                let previous = Self.row(row.prevRevision, in: state).flatMap { $0.deleted ? nil : Self.keyValue($0) }
                let kind: WatchEvent.Kind =
                    row.deleted ? .deleted : (row.createRevision == row.revision ? .created : .updated)
                return WatchEvent(kind: kind, current: Self.keyValue(row), previous: previous)
            }
        }
    }

    public func currentRevision() async throws(StoreError) -> Revision {
        state.withLock { $0.current }
    }

    public func compactedRevision() async throws(StoreError) -> Revision {
        state.withLock { $0.compacted }
    }

    @discardableResult
    public func compact(upTo revision: Revision) async throws(StoreError) -> Int {
        state.withLock { state in
            let target = min(revision, state.current)
            guard target > state.compacted else { return 0 }
            var dead = Set<Revision>()
            for (key, revisions) in state.byKey {
                let upToTarget = revisions.filter { $0 <= target }
                guard let newest = upToTarget.last else { continue }
                dead.formUnion(upToTarget.dropLast())
                if Self.row(newest, in: state)?.deleted == true { dead.insert(newest) }
                let alive = revisions.filter { !dead.contains($0) }
                state.byKey[key] = alive.isEmpty ? nil : alive
            }
            state.log.removeAll { dead.contains($0.revision) }
            state.compacted = target
            return dead.count
        }
    }

    // MARK: Helpers

    private static func readable(_ revision: Revision?, _ state: State) throws(StoreError) -> Revision {
        guard let revision else { return state.current }
        if revision < state.compacted {
            throw StoreError(
                .expired, "required revision \(revision) has been compacted (oldest is \(state.compacted))")
        }
        if revision > state.current {
            throw StoreError(
                .invalidRequest, "revision \(revision) is newer than the current revision \(state.current)")
        }
        return revision
    }

    private static func latestRow(_ key: String, at revision: Revision, in state: State) -> Row? {
        guard let revisions = state.byKey[key], let newest = revisions.last(where: { $0 <= revision }) else {
            return nil
        }
        return row(newest, in: state)
    }

    private static func position(after revision: Revision, in log: [Row]) -> Int {
        var low = 0
        var high = log.count
        while low < high {
            let mid = (low + high) / 2
            if log[mid].revision <= revision { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func row(_ revision: Revision, in state: State) -> Row? {
        let index = position(after: revision - 1, in: state.log)
        guard index < state.log.count, state.log[index].revision == revision else { return nil }
        return state.log[index]
    }

    private static func keyValue(_ row: Row) -> KeyValue {
        KeyValue(key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.revision)
    }
}
