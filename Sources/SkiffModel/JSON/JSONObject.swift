/// A JSON object: string keys kept in insertion order, each key at most once.
///
/// Kubernetes objects are small (a Pod's largest object has about a dozen keys), so lookups scan an array of
/// entries, which beats hashing at that size. Objects with more than ``indexThreshold`` keys (label maps, ConfigMap
/// data, OpenAPI schemas) also keep a hash index. Keys compare byte-wise, like Go, not by Unicode equivalence.
public struct JSONObject: Sendable {
    struct Entry: Sendable {
        var key: String
        var value: JSON
    }

    /// Objects with more keys than this keep a hash index next to the ordered entries.
    public static let indexThreshold = 16

    var entries: [Entry]
    private var index: [JSONIndexKey: Int]?

    /// An empty object.
    public init() {
        entries = []
        index = nil
    }

    /// An empty object with room for `minimumCapacity` keys.
    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
        index = nil
    }

    /// An object from key-value pairs in order; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSON) {
        self.init(minimumCapacity: pairs.underestimatedCount)
        for (key, value) in pairs {
            updateValue(value, forKey: key)
        }
    }

    /// Builds an object from entries whose keys the caller knows to be distinct.
    init(uniqueEntries: [Entry]) {
        entries = uniqueEntries
        index = nil
        if entries.count > Self.indexThreshold { rebuildIndex() }
    }

    /// Builds an object from entries that may repeat keys; returns the positions (into `entries`) of every repeat.
    ///
    /// The first occurrence keeps its position and takes the last value, as `JSON.parse` does in JavaScript.
    static func deduplicating(_ entries: [Entry], duplicates: inout [Int]) -> JSONObject {
        var result = JSONObject(minimumCapacity: entries.count)
        if entries.count <= indexThreshold {
            outer: for (position, entry) in entries.enumerated() {
                for i in result.entries.indices where JSONKey.equal(result.entries[i].key, entry.key) {
                    result.entries[i].value = entry.value
                    duplicates.append(position)
                    continue outer
                }
                result.entries.append(entry)
            }
            return result
        }
        var index: [JSONIndexKey: Int] = [:]
        index.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() {
            if let existing = index[JSONIndexKey(entry.key)] {
                result.entries[existing].value = entry.value
                duplicates.append(position)
            } else {
                index[JSONIndexKey(entry.key)] = result.entries.count
                result.entries.append(entry)
            }
        }
        if result.entries.count > indexThreshold {
            result.index = index
        }
        return result
    }

    /// The number of keys.
    public var count: Int { entries.count }

    /// Whether the object has no keys.
    public var isEmpty: Bool { entries.isEmpty }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// The values in key order.
    public var values: [JSON] { entries.map(\.value) }

    /// The position of `key`, if present.
    public func index(forKey key: String) -> Int? {
        if let index {
            return index[JSONIndexKey(key)]
        }
        for i in entries.indices where JSONKey.equal(entries[i].key, key) {
            return i
        }
        return nil
    }

    /// Whether `key` is present (with any value, including `null`).
    public func contains(_ key: String) -> Bool {
        index(forKey: key) != nil
    }

    /// The value for `key`, or nil when absent; assigning nil removes the key, assigning a value appends new keys.
    public subscript(key: String) -> JSON? {
        get {
            guard let i = index(forKey: key) else { return nil }
            return entries[i].value
        }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets the value for `key`, keeping its position if present and appending it otherwise; returns the old value.
    @discardableResult
    public mutating func updateValue(_ value: JSON, forKey key: String) -> JSON? {
        if let i = index(forKey: key) {
            let old = entries[i].value
            entries[i].value = value
            return old
        }
        append(key: key, value: value)
        return nil
    }

    /// Removes `key`, keeping the order of the others; returns the removed value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let i = index(forKey: key) else { return nil }
        let removed = entries.remove(at: i).value
        if entries.count > Self.indexThreshold {
            rebuildIndex()
        } else {
            index = nil
        }
        return removed
    }

    /// Removes all keys.
    public mutating func removeAll() {
        entries.removeAll()
        index = nil
    }

    /// Appends a key known to be absent; returns its position.
    @discardableResult
    mutating func append(key: String, value: JSON) -> Int {
        let position = entries.count
        entries.append(Entry(key: key, value: value))
        if index != nil {
            index?[JSONIndexKey(key)] = position
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
        return position
    }

    private mutating func rebuildIndex() {
        var index: [JSONIndexKey: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            index[JSONIndexKey(entry.key)] = i
        }
        self.index = index
    }
}

extension JSONObject: RandomAccessCollection {
    /// Positions are offsets into the key order.
    public typealias Index = Int

    /// The first position.
    public var startIndex: Int { 0 }

    /// One past the last position.
    public var endIndex: Int { entries.count }

    /// The key and value at `position`.
    public subscript(position: Int) -> (key: String, value: JSON) {
        let entry = entries[position]
        return (entry.key, entry.value)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object in literal order; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements)
    }
}

extension JSONObject: Hashable {
    /// Objects are equal when they hold the same keys with equal values, in any order (JSON semantics, like Go's
    /// `reflect.DeepEqual` on maps). Compare ``keys`` or the serialized bytes when order matters.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (i, entry) in lhs.entries.enumerated() {
            // Same order is the common case; try the same position before searching.
            if i < rhs.entries.count, JSONKey.equal(rhs.entries[i].key, entry.key) {
                guard rhs.entries[i].value == entry.value else { return false }
                continue
            }
            guard let j = rhs.index(forKey: entry.key), rhs.entries[j].value == entry.value else { return false }
        }
        return true
    }

    /// Order-independent, to agree with `==`.
    public func hash(into hasher: inout Hasher) {
        var sum: UInt = 0
        for entry in entries {
            var entryHasher = Hasher()
            JSONKey.hash(entry.key, into: &entryHasher)
            entryHasher.combine(entry.value)
            sum &+= UInt(bitPattern: entryHasher.finalize())
        }
        hasher.combine(entries.count)
        hasher.combine(sum)
    }
}

extension JSONObject {
    /// Whether both values are the same stored object (a copy nobody changed since): equal without looking inside.
    /// False says nothing; compare the contents then.
    func sharesStorage(with other: JSONObject) -> Bool {
        entries.withUnsafeBufferPointer { mine in
            other.entries.withUnsafeBufferPointer { theirs in
                mine.baseAddress == theirs.baseAddress && mine.count == theirs.count
            }
        }
    }
}

extension JSON {
    /// Whether `other` is this very value: the same stored container (copies share storage until changed), or
    /// equal scalars. A cheap first check before walking two versions of an object: most of a write's new version
    /// is the old one's storage. False says nothing.
    public func isIdentical(to other: JSON) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            return a.sharesStorage(with: b)
        case (.array(let a), .array(let b)):
            return a.withUnsafeBufferPointer { mine in
                b.withUnsafeBufferPointer { theirs in
                    mine.baseAddress == theirs.baseAddress && mine.count == theirs.count
                }
            }
        case (.string(let a), .string(let b)):
            return a == b
        case (.int(let a), .int(let b)):
            return a == b
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.null, .null):
            return true
        default:
            return false
        }
    }
}
