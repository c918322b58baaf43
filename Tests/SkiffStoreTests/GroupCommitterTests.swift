import Dispatch
import Synchronization
import Testing

@_spi(StoreImplementation) @testable import SkiffStore

@Suite struct GroupCommitterTests {
    /// A writer on its own serial queue whose first batch waits until the test opens the gate, and which records
    /// the keys of every batch it commits.
    final class GatedWriter: Sendable {
        let queue = DispatchQueue(label: "group-committer-test")
        let gate = DispatchSemaphore(value: 0)
        let batches = Mutex<[[String]]>([])
        let started = Atomic<Bool>(false)

        func committer(hub: WatchHub) -> GroupCommitter {
            GroupCommitter(hub: hub) { drain in
                self.queue.async {
                    drain { batch in
                        if !self.started.exchange(true, ordering: .relaxed) { self.gate.wait() }
                        let base = self.batches.withLock { batches in
                            batches.append(batch.map(\.key))
                            return batches.joined().count - batch.count
                        }
                        return .success(
                            batch.enumerated().map { index, operation in
                                let revision = Revision(base + index + 1)
                                let kv = KeyValue(
                                    key: operation.key, value: [], createRevision: revision, modRevision: revision)
                                return .success((kv, WatchEvent(kind: .created, current: kv, previous: nil)))
                            })
                    }
                }
            }
        }
    }

    @Test func writesQueuedDuringACommitShareTheNextTransaction() async throws {
        let writer = GatedWriter()
        let committer = writer.committer(hub: WatchHub(lastPublished: 0, maxBacklog: 1000))
        let first = Task { try await committer.submit(.create(key: "/a", value: [])) }
        while !writer.started.load(ordering: .relaxed) { await Task.yield() }
        // While /a commits (held at the gate), three more writers queue; one of them goes away.
        let others = ["/b", "/c", "/d"].map { key in Task { try await committer.submit(.create(key: key, value: [])) } }
        while committer.queued < 3 { await Task.yield() }
        others[1].cancel()
        writer.gate.signal()

        #expect(try await first.value.modRevision == 1)
        var answered: [String: Revision] = [:]
        for task in others {
            let kv = try await task.value
            answered[kv.key] = kv.modRevision
        }
        #expect(answered == ["/b": 2, "/c": 3, "/d": 4], "each writer gets its own write back, the cancelled one too")
        let batches = writer.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(
            batches.last.map(Set.init) == ["/b", "/c", "/d"], "the writes queued during a commit went in one batch")
        #expect(committer.statistics == (2, 4))
    }

    @Test func aFailedBatchFailsEachOfItsWritesAndTheNextBatchStillRuns() async throws {
        let calls = Atomic<Int>(0)
        let committer = GroupCommitter(hub: WatchHub(lastPublished: 0, maxBacklog: 10)) { drain in
            DispatchQueue.global().async {
                drain { batch in
                    if calls.add(1, ordering: .relaxed).newValue == 1 {
                        return .failure(StoreError(.unavailable, "disk full"))
                    }
                    let kv = KeyValue(key: batch[0].key, value: [], createRevision: 1, modRevision: 1)
                    return .success([.success((kv, WatchEvent(kind: .created, current: kv, previous: nil)))])
                }
            }
        }
        await #expect(throws: StoreError.self) { try await committer.submit(.create(key: "/a", value: [])) }
        #expect(try await committer.submit(.create(key: "/b", value: [])).key == "/b")
    }

    @Test func aClosedCommitterRefusesWrites() async throws {
        let committer = GroupCommitter(hub: WatchHub(lastPublished: 0, maxBacklog: 10)) { _ in
            Issue.record("nothing should be committed")
        }
        committer.close()
        do {
            _ = try await committer.submit(.create(key: "/a", value: []))
            Issue.record("a write after close succeeded")
        } catch {
            #expect(error.code == .closed)
        }
    }
}
