import NIOCore
@_spi(StoreImplementation) import SkiffStore

/// A write batch planned against the log as one snapshot showed it: the head revision (`base`) and the latest row of
/// every key the batch touches. Each operation sees the ones before it; the ones that apply get the revisions after
/// `base`, in order. Pure: the store sends `columns` in one statement and, once committed, answers `results` and
/// publishes `events`.
struct PostgresWritePlan {
    /// The log's head the plan starts from.
    let base: Revision
    /// The revision of the last row appended; `base` when nothing applies.
    private(set) var head: Revision
    /// One answer per operation, in batch order.
    private(set) var results: [Result<KeyValue, StoreError>] = []
    /// The events the appended rows announce, in revision order.
    private(set) var events: [WatchEvent] = []
    /// The appended rows, column by column (the shape of `unnest`).
    private(set) var columns = Columns()

    struct Columns {
        var revisions: [Int64] = []
        var keys: [String] = []
        var createRevisions: [Int64] = []
        var prevRevisions: [Int64] = []
        var deleted: [Bool] = []
        var values: [ByteBuffer] = []
    }

    init(_ batch: [WriteOperation], base: Revision, latest: [String: WriteOperation.Latest]) {
        self.base = base
        head = base
        var latest = latest
        for operation in batch {
            switch operation.plan(latest: latest[operation.key]) {
            case .failure(let error):
                results.append(.failure(error))
            case .success(let append):
                head += 1
                let (committed, event) = append.committed(at: head)
                columns.revisions.append(head)
                columns.keys.append(append.key)
                columns.createRevisions.append(committed.createRevision)
                columns.prevRevisions.append(append.prevRevision)
                columns.deleted.append(append.deleted)
                columns.values.append(ByteBuffer(bytes: append.value))
                latest[append.key] = WriteOperation.Latest(
                    revision: head, createRevision: committed.createRevision, deleted: append.deleted,
                    value: append.value)
                results.append(.success(committed))
                events.append(event)
            }
        }
    }

    /// Whether any row is to be appended.
    var appends: Bool { head > base }
}
