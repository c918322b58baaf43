/// One mutation waiting to be committed. Both store implementations apply it through `plan(latest:)`, so
/// compare-and-swap semantics live in one place.
@_spi(StoreImplementation) public enum WriteOperation: Sendable {
    case create(key: String, value: [UInt8])
    case update(key: String, value: [UInt8], expectedRevision: Revision)
    case delete(key: String, expectedRevision: Revision?)

    public var key: String {
        switch self {
        case .create(let key, _), .update(let key, _, _), .delete(let key, _): key
        }
    }

    /// The row a key's log currently ends with.
    public struct Latest: Sendable {
        public var revision: Revision
        public var createRevision: Revision
        public var deleted: Bool
        public var value: [UInt8]

        public init(revision: Revision, createRevision: Revision, deleted: Bool, value: [UInt8]) {
            self.revision = revision
            self.createRevision = createRevision
            self.deleted = deleted
            self.value = value
        }
    }

    /// The row to append, with its revision still to be assigned by the log.
    public struct Append: Sendable {
        public var key: String
        /// nil: the new row's own revision (a create).
        public var createRevision: Revision?
        public var prevRevision: Revision
        public var deleted: Bool
        public var value: [UInt8]
        public var previous: Latest?

        /// The committed version and the event announcing it, once the log assigned `revision`.
        public func committed(at revision: Revision) -> (KeyValue, WatchEvent) {
            let current = KeyValue(
                key: key, value: value, createRevision: createRevision ?? revision, modRevision: revision)
            let before = previous.flatMap { prior -> KeyValue? in
                prior.deleted
                    ? nil
                    : KeyValue(
                        key: key, value: prior.value, createRevision: prior.createRevision,
                        modRevision: prior.revision)
            }
            let kind: WatchEvent.Kind = deleted ? .deleted : (createRevision == nil ? .created : .updated)
            return (current, WatchEvent(kind: kind, current: current, previous: before))
        }
    }

    /// Decides, from the key's latest row, whether this operation applies and what to append.
    public func plan(latest: Latest?) -> Result<Append, StoreError> {
        let live = latest.flatMap { $0.deleted ? nil : $0 }
        switch self {
        case .create(let key, let value):
            if live != nil {
                return .failure(StoreError(.keyExists, "key \(key) already exists"))
            }
            return .success(
                Append(
                    key: key, createRevision: nil, prevRevision: latest?.revision ?? 0, deleted: false, value: value,
                    previous: latest))
        case .update(let key, let value, let expected):
            guard let live else {
                return .failure(StoreError(.keyNotFound, "key \(key) not found"))
            }
            guard live.revision == expected else {
                return .failure(
                    StoreError(.conflict, "key \(key) is at revision \(live.revision), not \(expected)"))
            }
            return .success(
                Append(
                    key: key, createRevision: live.createRevision, prevRevision: live.revision, deleted: false,
                    value: value, previous: live))
        case .delete(let key, let expected):
            guard let live else {
                return .failure(StoreError(.keyNotFound, "key \(key) not found"))
            }
            if let expected, live.revision != expected {
                return .failure(
                    StoreError(.conflict, "key \(key) is at revision \(live.revision), not \(expected)"))
            }
            return .success(
                Append(
                    key: key, createRevision: live.createRevision, prevRevision: live.revision, deleted: true,
                    value: live.value, previous: live))
        }
    }
}

/// Key validation and prefix ranges. Keys are printable ASCII so byte order, SQL `BINARY` order and Swift `String`
/// order agree.
@_spi(StoreImplementation) public enum Keys {
    public static func validate(_ key: String) throws(StoreError) {
        guard !key.isEmpty, key.utf8.count <= 4096, key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw StoreError(
                .invalidRequest, "invalid key \(key.debugDescription): keys are 1-4096 printable ASCII bytes")
        }
    }

    public static func validatePrefix(_ prefix: String) throws(StoreError) {
        guard prefix.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw StoreError(.invalidRequest, "invalid prefix \(prefix.debugDescription)")
        }
    }

    /// The smallest key greater than every key starting with `prefix`; nil when unbounded.
    public static func rangeEnd(of prefix: String) -> String? {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0x7F {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return nil
    }
}
