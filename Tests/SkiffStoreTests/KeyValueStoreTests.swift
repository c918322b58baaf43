import SkiffStore
import Testing

@Suite struct KeyValueStoreTests {
    @Test(arguments: Backend.allCases)
    func createGetAndDuplicate(backend: Backend) async throws {
        try await backend.with { store in
            let created = try await store.create("/registry/configmaps/default/a", value: .text("one"))
            #expect(created.createRevision == created.modRevision)
            #expect(try await store.get("/registry/configmaps/default/a")?.text == "one")
            #expect(try await store.get("/registry/configmaps/default/missing") == nil)
            let error = await #expect(throws: StoreError.self) {
                try await store.create("/registry/configmaps/default/a", value: .text("two"))
            }
            #expect(error?.code == .keyExists)
            #expect(try await store.get("/registry/configmaps/default/a")?.text == "one")
        }
    }

    @Test(arguments: Backend.allCases)
    func compareAndSwap(backend: Backend) async throws {
        try await backend.with { store in
            let first = try await store.create("/k/a", value: .text("v1"))
            let second = try await store.update("/k/a", value: .text("v2"), expectedRevision: first.modRevision)
            #expect(second.modRevision > first.modRevision)
            #expect(second.createRevision == first.createRevision)

            let stale = await #expect(throws: StoreError.self) {
                try await store.update("/k/a", value: .text("lost"), expectedRevision: first.modRevision)
            }
            #expect(stale?.code == .conflict)
            let staleDelete = await #expect(throws: StoreError.self) {
                try await store.delete("/k/a", expectedRevision: first.modRevision)
            }
            #expect(staleDelete?.code == .conflict)
            #expect(try await store.get("/k/a")?.text == "v2")

            let missing = await #expect(throws: StoreError.self) {
                try await store.update("/k/none", value: .text("x"), expectedRevision: 1)
            }
            #expect(missing?.code == .keyNotFound)

            let deleted = try await store.delete("/k/a", expectedRevision: second.modRevision)
            #expect(deleted.text == "v2")
            #expect(deleted.modRevision > second.modRevision)
            #expect(try await store.get("/k/a") == nil)
            let again = await #expect(throws: StoreError.self) { try await store.delete("/k/a", expectedRevision: nil) }
            #expect(again?.code == .keyNotFound)

            // A key can be created again after deletion and gets a new create revision.
            let recreated = try await store.create("/k/a", value: .text("v3"))
            #expect(recreated.createRevision == recreated.modRevision)
            #expect(recreated.createRevision > deleted.modRevision)
        }
    }

    @Test(arguments: Backend.allCases)
    func paginatedListAtARevision(backend: Backend) async throws {
        try await backend.with { store in
            for index in 0..<10 {
                try await store.create("/registry/pods/ns/p\(index)", value: .text("old\(index)"))
            }
            try await store.create("/registry/podsx/other", value: .text("not under the prefix"))
            try await store.create("/registry/pod", value: .text("not under the prefix either"))
            let snapshot = try await store.currentRevision()

            // History moves on while we page through the snapshot.
            let p3 = try #require(try await store.get("/registry/pods/ns/p3"))
            try await store.update("/registry/pods/ns/p3", value: .text("new3"), expectedRevision: p3.modRevision)
            try await store.delete("/registry/pods/ns/p5", expectedRevision: nil)
            try await store.create("/registry/pods/ns/p55", value: .text("new55"))

            var seen: [String] = []
            var startAfter: String?
            var pages = 0
            repeat {
                let page = try await store.list(
                    ListRequest(prefix: "/registry/pods/", startAfter: startAfter, limit: 3, revision: snapshot))
                #expect(page.revision == snapshot)
                #expect(page.items.count <= 3)
                seen += page.items.map(\.text)
                startAfter = page.hasMore ? page.items.last?.key : nil
                pages += 1
            } while startAfter != nil
            #expect(seen == (0..<10).map { "old\($0)" })
            #expect(pages == 4)

            let now = try await store.list(ListRequest(prefix: "/registry/pods/"))
            #expect(
                now.items.map(\.text) == [
                    "old0", "old1", "old2", "new3", "old4", "new55", "old6", "old7", "old8", "old9",
                ])
            #expect(!now.hasMore)
        }
    }

    @Test(arguments: Backend.allCases)
    func watchReplaysFromARevisionThenFollows(backend: Backend) async throws {
        try await backend.with { store in
            let a = try await store.create("/w/a", value: .text("a1"))
            let start = a.modRevision
            let a2 = try await store.update("/w/a", value: .text("a2"), expectedRevision: a.modRevision)
            try await store.create("/other/x", value: .text("ignored"))
            try await store.create("/w/b", value: .text("b1"))
            try await store.delete("/w/a", expectedRevision: a2.modRevision)

            let stream = try await store.watch(prefix: "/w/", after: start)
            async let events = collect(stream, count: 5)
            try await store.create("/w/c", value: .text("c1"))
            try await store.create("/other/y", value: .text("ignored"))
            let c = try #require(try await store.get("/w/c"))
            try await store.update("/w/c", value: .text("c2"), expectedRevision: c.modRevision)

            let received = try await events
            #expect(received.map(\.kind) == [.updated, .created, .deleted, .created, .updated])
            #expect(received.map(\.current.text) == ["a2", "b1", "a2", "c1", "c2"])
            #expect(received[0].previous?.text == "a1")
            #expect(received[2].previous?.text == "a2")
            #expect(received[4].previous?.text == "c1")
            let revisions = received.map(\.revision)
            #expect(revisions == revisions.sorted() && Set(revisions).count == revisions.count)
            #expect(revisions.allSatisfy { $0 > start })
        }
    }

    @Test(arguments: Backend.allCases)
    func compactionExpiresOldRevisionsButKeepsLiveData(backend: Backend) async throws {
        try await backend.with { store in
            var last = try await store.create("/c/a", value: .text("0"))
            for index in 1...5 {
                last = try await store.update("/c/a", value: .text("\(index)"), expectedRevision: last.modRevision)
            }
            let gone = try await store.create("/c/gone", value: .text("x"))
            try await store.delete("/c/gone", expectedRevision: gone.modRevision)
            let oldRevision = last.modRevision - 3
            let compactAt = try await store.currentRevision()
            let removed = try await store.compact(upTo: compactAt)
            #expect(removed == 7)
            #expect(try await store.compactedRevision() == compactAt)

            let watchError = await #expect(throws: StoreError.self) {
                _ = try await store.watch(prefix: "/c/", after: oldRevision)
            }
            #expect(watchError?.code == .expired)
            let getError = await #expect(throws: StoreError.self) { try await store.get("/c/a", revision: oldRevision) }
            #expect(getError?.code == .expired)
            let listError = await #expect(throws: StoreError.self) {
                try await store.list(ListRequest(prefix: "/c/", revision: oldRevision))
            }
            #expect(listError?.code == .expired)

            #expect(try await store.get("/c/a")?.text == "5")
            #expect(try await store.list(ListRequest(prefix: "/c/")).items.map(\.key) == ["/c/a"])
            // A watch from the compaction point still works and sees the next write with its previous value.
            let stream = try await store.watch(prefix: "/c/", after: compactAt)
            async let events = collect(stream, count: 1)
            try await store.update("/c/a", value: .text("6"), expectedRevision: last.modRevision)
            let next = try await events
            #expect(next.first?.previous?.text == "5")
            #expect(next.first?.current.text == "6")
        }
    }

    @Test(arguments: Backend.allCases)
    func slowWatcherIsCutOffWithExpired(backend: Backend) async throws {
        try await backend.with(backlog: 5) { store in
            let stream = try await store.watch(prefix: "/s/", after: try await store.currentRevision())
            for index in 0..<8 { try await store.create("/s/\(index)", value: .text("\(index)")) }
            var delivered = 0
            let error = await #expect(throws: StoreError.self) {
                for try await _ in stream { delivered += 1 }
            }
            #expect(error?.code == .expired)
            #expect(delivered == 5)
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritersGetDistinctIncreasingRevisions(backend: Backend) async throws {
        try await backend.with { store in
            let revisions = try await withThrowingTaskGroup(of: Revision.self) { group in
                for writer in 0..<64 {
                    group.addTask {
                        var last: Revision = 0
                        for index in 0..<20 {
                            let kv = try await store.create("/g/\(writer)/\(index)", value: .text("\(writer)-\(index)"))
                            #expect(kv.modRevision > last)
                            last = kv.modRevision
                        }
                        return last
                    }
                }
                return try await group.reduce(into: [Revision]()) { $0.append($1) }
            }
            #expect(revisions.count == 64)
            #expect(try await store.currentRevision() == 64 * 20)
            #expect(try await store.list(ListRequest(prefix: "/g/")).items.count == 64 * 20)
        }
    }

    @Test(arguments: Backend.allCases)
    func invalidKeysAreRefused(backend: Backend) async throws {
        try await backend.with { store in
            for key in ["", "/bad\nkey", "/ünicode"] {
                let error = await #expect(throws: StoreError.self) { try await store.create(key, value: []) }
                #expect(error?.code == .invalidRequest)
            }
        }
    }
}
