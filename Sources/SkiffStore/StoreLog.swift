/// One row of a store's revision log, as copied from one store to another (`skiff datastore migrate`): a create,
/// an update or a delete (tombstone), with the revision that wrote it and the row it replaced.
public struct LogRow: Sendable, Hashable {
    public var revision: Revision
    public var key: String
    public var createRevision: Revision
    /// The revision of the key's row this one replaced (0 for a create).
    public var prevRevision: Revision
    public var deleted: Bool
    public var value: [UInt8]

    public init(
        revision: Revision, key: String, createRevision: Revision, prevRevision: Revision, deleted: Bool,
        value: [UInt8]
    ) {
        self.revision = revision
        self.key = key
        self.createRevision = createRevision
        self.prevRevision = prevRevision
        self.deleted = deleted
        self.value = value
    }
}

/// A store's log, readable in revision order: the rows compaction kept, the newest revision issued and the
/// compaction floor. A target that copies all three answers every read and watch as the source did.
public protocol StoreLogSource: Sendable {
    /// The newest revision issued (may exceed the last row's, when compaction removed the newest rows).
    var currentRevision: Revision { get }
    /// Reads below this revision are `.expired`.
    var compactedRevision: Revision { get }
    /// The next rows after `revision` in revision order: at most `limit`, and no more once `maxBytes` of values
    /// were read (always at least one row, when there is one). Empty at the end.
    func rows(after revision: Revision, limit: Int, maxBytes: Int) async throws(StoreError) -> [LogRow]
}

/// Checks, row by row, that a log being copied is one a store could have written: revisions strictly increasing
/// and not above the head, each row's create and previous revisions before it. A copy that passes keeps the
/// target's reads, watches and compare-and-swaps exact; one that does not is refused before it commits.
public struct LogSequenceCheck: Sendable {
    public let currentRevision: Revision
    public private(set) var lastRevision: Revision = 0
    public private(set) var rows = 0

    public init(currentRevision: Revision) {
        self.currentRevision = currentRevision
    }

    public mutating func admit(_ row: LogRow) throws(StoreError) {
        guard row.revision > lastRevision else {
            throw StoreError(
                .corrupt, "log row \(row.revision) (\(row.key)) is out of order: it follows revision \(lastRevision)")
        }
        guard row.revision <= currentRevision else {
            throw StoreError(
                .corrupt, "log row \(row.revision) is newer than the log's current revision \(currentRevision)")
        }
        guard row.createRevision > 0, row.createRevision <= row.revision, row.prevRevision < row.revision,
            row.prevRevision >= 0
        else {
            throw StoreError(
                .corrupt,
                "log row \(row.revision) (\(row.key)) has create revision \(row.createRevision) and previous "
                    + "revision \(row.prevRevision)")
        }
        lastRevision = row.revision
        rows += 1
    }
}
