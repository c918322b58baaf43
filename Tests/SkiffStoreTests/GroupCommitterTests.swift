import Synchronization
import Testing
@testable import SkiffStore

@Suite struct GroupCommitterTests {
    /// A gate the test opens once the batch is formed.
    final class Gate: Sendable {
        let waiting = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let applied = Atomic<Int>(0)
        func open() { waiting.withLock { $0?.resume(); $0 = nil } }
    }

    @Test func aCancelledLeaderStillCommitsItsFollowersWrites() async throws {
        let gate = Gate()
        let hub = WatchHub(lastPublished: 0, maxBacklog: 1000)
        // Like SQLite's async write: a cancelled caller gets a cancellation failure for the whole batch.
        let committer = GroupCommitter(hub: hub) { batch in
            if gate.applied.add(1, ordering: .relaxed).newValue == 1 {
                await withCheckedContinuation { continuation in gate.waiting.withLock { $0 = continuation } }
            }
            if Task.isCancelled { return .failure(StoreError(.unavailable, "cancelled")) }
            return .success(
                batch.enumerated().map { index, operation in
                    let kv = KeyValue(key: operation.key, value: [], createRevision: Revision(index + 1), modRevision: Revision(index + 1))
                    return .success((kv, WatchEvent(kind: .created, current: kv, previous: nil)))
                })
        }
        // A first batch is being applied (held at the gate); behind it queue the next leader and its followers.
        let first = Task { try await committer.submit(.create(key: "/a", value: [])) }
        while gate.waiting.withLock({ $0 == nil }) { await Task.yield() }
        let leader = Task { try await committer.submit(.create(key: "/b", value: [])) }
        try await Task.sleep(for: .milliseconds(30))
        let followers = Task {
            try await withThrowingTaskGroup(of: KeyValue.self) { group in
                for name in ["/c", "/d"] { group.addTask { try await committer.submit(.create(key: name, value: [])) } }
                return try await group.reduce(into: [String]()) { $0.append($1.key) }
            }
        }
        try await Task.sleep(for: .milliseconds(30))
        // The next leader's caller goes away before its batch (b, c, d) is applied.
        leader.cancel()
        gate.open()
        #expect(try await first.value.key == "/a")
        let written = try await followers.value
        #expect(Set(written) == ["/c", "/d"], "followers are not failed by their leader's cancellation")
        #expect(try await leader.value.key == "/b", "the cancelled leader's own write committed too")
        #expect(gate.applied.load(ordering: .relaxed) == 2, "two transactions: a, then b with c and d")
    }
}
