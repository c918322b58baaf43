@_spi(StoreImplementation) import SkiffStore
import Testing

@testable import SkiffPostgresStore

/// Planning a batch against the head and the keys' latest rows: each operation sees the ones before it, revisions
/// follow the head in order, refused operations take none, and the events are what the follower would read back.
struct PostgresWritePlanTests {
    let bytes = { (text: String) in Array(text.utf8) }

    @Test func operationsSeeTheOnesBeforeThemAndTakeTheRevisionsAfterTheHead() {
        let existing = WriteOperation.Latest(revision: 7, createRevision: 3, deleted: false, value: Array("old".utf8))
        let gone = WriteOperation.Latest(revision: 9, createRevision: 8, deleted: true, value: Array("was".utf8))
        let plan = PostgresWritePlan(
            [
                .create(key: "/a", value: bytes("a1")),
                .create(key: "/a", value: bytes("again")),  // exists now
                .update(key: "/a", value: bytes("a2"), expectedRevision: 11),
                .update(key: "/e", value: bytes("e2"), expectedRevision: 6),  // stale
                .delete(key: "/e", expectedRevision: 7),
                .create(key: "/g", value: bytes("g1")),  // over a tombstone
            ],
            base: 10, latest: ["/e": existing, "/g": gone])
        #expect(plan.base == 10)
        #expect(plan.head == 14)
        #expect(plan.appends)
        let answers = plan.results.map { result -> String in
            switch result {
            case .success(let kv): "\(kv.key)@\(kv.modRevision)/\(kv.createRevision)"
            case .failure(let error): "\(error.code)"
            }
        }
        #expect(answers == ["/a@11/11", "keyExists", "/a@12/11", "conflict", "/e@13/3", "/g@14/14"])
        #expect(plan.columns.revisions == [11, 12, 13, 14])
        #expect(plan.columns.keys == ["/a", "/a", "/e", "/g"])
        #expect(plan.columns.createRevisions == [11, 11, 3, 14])
        #expect(plan.columns.prevRevisions == [0, 11, 7, 9])
        #expect(plan.columns.deleted == [false, false, true, false])
        #expect(
            plan.columns.values.map { Array($0.readableBytesView) } == [
                bytes("a1"), bytes("a2"), bytes("old"), bytes("g1"),
            ])
        #expect(plan.events.map(\.kind) == [.created, .updated, .deleted, .created])
        #expect(plan.events.map(\.revision) == [11, 12, 13, 14])
        #expect(plan.events.map { $0.previous?.modRevision } == [nil, 11, 7, nil])
        #expect(plan.events[1].previous?.value == bytes("a1"))
    }

    @Test func aBatchOfRefusalsAppendsNothing() {
        let plan = PostgresWritePlan(
            [.update(key: "/x", value: [], expectedRevision: 1), .delete(key: "/y", expectedRevision: nil)],
            base: 5, latest: [:])
        #expect(!plan.appends)
        #expect(plan.head == 5)
        #expect(plan.events.isEmpty)
        #expect(plan.results.compactMap { try? $0.get() }.isEmpty)
    }
}
