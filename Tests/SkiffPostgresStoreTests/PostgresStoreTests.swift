import Foundation
import Logging
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffPostgresStore

/// Two stores on one database stand for two servers of one cluster.
@Suite(.enabled(if: TemporaryPostgres.unavailableReason == nil, "PostgreSQL is not available"))
struct PostgresStoreTests {
    let logger = Logger(label: "test")

    /// Runs `body` with two running stores (two "servers") on one new database.
    func withTwoServers(
        options: PostgresStore.Options = .withoutPoll,
        _ body: (PostgresStore, PostgresStore) async throws -> Void
    ) async throws {
        let server = try await TemporaryPostgres.shared()
        let endpoint = try PostgresEndpoint(url: try await server.createDatabase("ha"))
        try await PostgresStore.withStore(endpoint: endpoint, options: options, logger: logger) { a in
            try await PostgresStore.withStore(endpoint: endpoint, options: options, logger: logger) { b in
                try await body(a, b)
            }
        }
    }

    @Test func aWatchOnOneServerSeesTheOthersWritesInOrder() async throws {
        try await withTwoServers { a, b in
            let stream = try await a.watch(prefix: "/x/", after: try await a.currentRevision())
            async let events = collect(stream, count: 12)
            var last = try await b.create("/x/k", value: Array("0".utf8))
            for index in 1...10 {
                last = try await b.update("/x/k", value: Array("\(index)".utf8), expectedRevision: last.modRevision)
            }
            try await b.delete("/x/k", expectedRevision: last.modRevision)
            let received = try await events
            #expect(received.count == 12)
            #expect(received.map(\.kind) == [.created] + Array(repeating: .updated, count: 10) + [.deleted])
            #expect(
                received.map { String(decoding: $0.current.value, as: UTF8.self) } == (0...10).map(String.init) + ["10"]
            )
            #expect(
                received.dropFirst().map { $0.previous.map { String(decoding: $0.value, as: UTF8.self) } }
                    == (0...10).map { Optional(String($0)) })
            let revisions = received.map(\.revision)
            #expect(revisions == Array(revisions.first!...revisions.first! + 11))
        }
    }

    /// Writers on both servers at once: every watcher, on either server, sees every revision exactly once, in order,
    /// with no gap — the property kine needs gap rows for.
    ///
    /// Run with optimistic writes (batches that lose the race are committed again under the lock) and with every
    /// batch under the lock.
    @Test(arguments: [true, false])
    func concurrentWritersOnTwoServersAreSeenContiguouslyByBoth(optimistic: Bool) async throws {
        var options = PostgresStore.Options.withoutPoll
        options.optimisticWrites = optimistic
        try await withTwoServers(options: options) { a, b in
            let start = try await a.currentRevision()
            let total = 2 * 16 * 25
            let watchA = try await a.watch(prefix: "/c/", after: start)
            let watchB = try await b.watch(prefix: "/c/", after: start)
            async let seenA = collect(watchA, count: total, timeout: .seconds(60))
            async let seenB = collect(watchB, count: total, timeout: .seconds(60))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, store) in [("a", a), ("b", b)] {
                    for writer in 0..<16 {
                        group.addTask {
                            var last: KeyValue?
                            for index in 0..<25 {
                                // Creates and compare-and-swap updates, so batches mix both kinds.
                                if index % 2 == 0 || last == nil {
                                    last = try await store.create(
                                        "/c/\(name)/\(writer)/\(index)", value: Array("\(index)".utf8))
                                } else {
                                    last = try await store.update(
                                        last!.key, value: Array("\(index)".utf8), expectedRevision: last!.modRevision)
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let expected = Array((start + 1)...(start + Revision(total)))
            #expect(try await seenA.map(\.revision) == expected)
            #expect(try await seenB.map(\.revision) == expected)
            #expect(try await a.currentRevision() == start + Revision(total))
            #expect(a.commitStatistics.transactions < a.commitStatistics.writes, "writes must share transactions")
        }
    }

    /// Another server commits between a batch's optimistic read and its append: the append writes nothing, and the
    /// batch is planned again under the lock — a create of the key the other server just created now fails, a
    /// create of another key gets the revision after the other server's. The server's watch sees all of it, once,
    /// in order, with no poll: the other server's notifications carry revisions this server was about to append,
    /// which the LISTEN loop skips, so the write path itself must wake the follower.
    @Test func aBatchThatLosesTheRaceToAnotherServerIsPlannedAgainUnderTheLock() async throws {
        let server = try await TemporaryPostgres.shared()
        let endpoint = try PostgresEndpoint(url: try await server.createDatabase("race"))
        let interference = Interference()
        var options = PostgresStore.Options.withoutPoll
        options.beforeOptimisticAppend = { await interference.writeNext() }
        try await PostgresStore.withStore(endpoint: endpoint, options: .withoutPoll, logger: logger) { b in
            interference.start(through: b, keys: ["/race/k", "/race/b"])
            try await PostgresStore.withStore(endpoint: endpoint, options: options, logger: logger) { a in
                let start = try await a.currentRevision()
                let watch = try await a.watch(prefix: "/race/", after: start)
                async let seen = collect(watch, count: 3)
                let exists = await #expect(throws: StoreError.self) {
                    try await a.create("/race/k", value: Array("a".utf8))
                }
                #expect(exists?.code == .keyExists)
                let mine = try await a.create("/race/a", value: Array("a".utf8))
                #expect(mine.modRevision == start + 3)
                #expect(a.lockedRetries == 2)
                let events = try await seen
                #expect(events.map(\.revision) == [start + 1, start + 2, start + 3])
                #expect(events.map(\.current.key) == ["/race/k", "/race/b", "/race/a"])
                #expect(try await b.get("/race/k")?.value == Array("b".utf8))
            }
        }
    }

    /// The pool's connections plan each statement for its parameters and the log's current size: a prepared
    /// statement's generic plan, made while the log was small, was a sequential scan of the whole log that stayed as
    /// the log grew.
    @Test func theStoresConnectionsPlanEveryExecution() async throws {
        try await withTwoServers { a, _ in
            let mode = try await a.client.withConnection { connection in
                try await connection.query("SHOW plan_cache_mode", logger: logger).decode(String.self)
                    .first { _ in true }
            }
            #expect(mode == "force_custom_plan")
        }
    }

    @Test func compareAndSwapConflictsAcrossServers() async throws {
        try await withTwoServers { a, b in
            let created = try await a.create("/cas/k", value: Array("v0".utf8))
            func attempt(_ store: PostgresStore, _ value: String) async -> Result<KeyValue, StoreError> {
                do {
                    return .success(
                        try await store.update(
                            "/cas/k", value: Array(value.utf8), expectedRevision: created.modRevision))
                } catch {
                    return .failure(error)
                }
            }
            async let fromA = attempt(a, "a")
            async let fromB = attempt(b, "b")
            let results = await [fromA, fromB]
            let winners = results.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            let losers = results.compactMap { result -> StoreError? in
                if case .failure(let error) = result { return error }
                return nil
            }
            #expect(losers.map(\.code) == [.conflict])
            #expect(try await b.get("/cas/k")?.value == winners.first?.value)
            #expect(try await a.get("/cas/k")?.modRevision == winners.first?.modRevision)
            let duplicate = await #expect(throws: StoreError.self) {
                try await b.create("/cas/k", value: [])
            }
            #expect(duplicate?.code == .keyExists)
        }
    }

    @Test func compactionOnOneServerIsSeenByTheOther() async throws {
        try await withTwoServers { a, b in
            var last = try await a.create("/k/a", value: Array("0".utf8))
            for index in 1...5 {
                last = try await a.update("/k/a", value: Array("\(index)".utf8), expectedRevision: last.modRevision)
            }
            let old = last.modRevision - 2
            let watch = try await a.watch(prefix: "/k/", after: old)
            let head = try await b.currentRevision()
            #expect(try await b.compact(upTo: head) == 5)
            #expect(try await a.compactedRevision() == head)
            let getError = await #expect(throws: StoreError.self) { try await a.get("/k/a", revision: old) }
            #expect(getError?.code == .expired)
            let watchError = await #expect(throws: StoreError.self) { _ = try await a.watch(prefix: "/k/", after: old) }
            #expect(watchError?.code == .expired)
            // The watch that started before the compaction had its history in hand already.
            #expect(try await collect(watch, count: 2).map(\.revision) == [old + 1, old + 2])
            #expect(try await a.get("/k/a")?.value == Array("5".utf8))
        }
    }

    /// PostgreSQL goes away under a running store and comes back: operations fail with `.unavailable` meanwhile,
    /// watches end with an error, and the same store object recovers on its own with every acknowledged write.
    @Test func theStoreSurvivesAPostgresRestart() async throws {
        let server = try await TemporaryPostgres.start()
        defer { Task { await server.remove() } }
        let endpoint = try PostgresEndpoint(url: try await server.createDatabase("restart"))
        var options = PostgresStore.Options()
        options.connectTimeout = .seconds(2)
        options.operationTimeout = .seconds(2)
        try await PostgresStore.withStore(endpoint: endpoint, options: options, logger: logger) { store in
            var acknowledged: [String: [UInt8]] = [:]
            for index in 0..<20 {
                let kv = try await store.create("/r/\(index)", value: Array("\(index)".utf8))
                acknowledged[kv.key] = kv.value
            }
            let watch = try await store.watch(prefix: "/r/", after: try await store.currentRevision())

            await server.stopServer()
            let failure = await #expect(throws: StoreError.self) {
                try await store.create("/r/during", value: [])
            }
            #expect(failure?.code == .unavailable)
            let readFailure = await #expect(throws: StoreError.self) { try await store.get("/r/0") }
            #expect(readFailure?.code == .unavailable)
            let watchEnd = await #expect(throws: StoreError.self) {
                for try await _ in watch {}
            }
            #expect(watchEnd?.code == .unavailable)

            try await server.startServer()
            var recovered: KeyValue?
            for _ in 0..<60 where recovered == nil {
                recovered = try? await store.create("/r/after", value: Array("after".utf8))
                if recovered == nil { try await Task.sleep(for: .milliseconds(500)) }
            }
            let after = try #require(recovered, "the store did not recover within 30 s")
            acknowledged[after.key] = after.value
            let items = try await store.list(ListRequest(prefix: "/r/")).items
            for (key, value) in acknowledged {
                #expect(items.first { $0.key == key }?.value == value, "acknowledged write \(key) lost")
            }
            // Watches work again.
            let again = try await store.watch(prefix: "/r/", after: after.modRevision)
            async let next = collect(again, count: 1)
            try await store.create("/r/later", value: [])
            #expect(try await next.map(\.current.key) == ["/r/later"])
        }
    }

    @Test func startingAgainstABadDatabaseFailsWithTheServersReason() async throws {
        let server = try await TemporaryPostgres.shared()
        let missing = try PostgresEndpoint(url: server.url(database: "no_such_database"))
        let error = await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.connect(endpoint: missing, logger: logger)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("does not exist") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)

        let nowhere = try PostgresEndpoint(url: "postgres://skiff@/db?host=/nonexistent-socket-dir")
        let unreachable = await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.connect(endpoint: nowhere, logger: logger)
        }
        #expect(unreachable?.code == .unavailable)
        #expect(unreachable?.message.hasPrefix("cannot connect to PostgreSQL at skiff@/nonexistent-socket-dir") == true)
    }
}

extension PostgresStore.Options {
    /// No poll: watches get other servers' writes only through LISTEN/NOTIFY and the write path's wake-ups, so a
    /// wake-up that goes missing stalls them (instead of being covered a second later).
    static var withoutPoll: Self {
        var options = Self()
        options.pollInterval = .seconds(3600)
        return options
    }
}

/// Another server's writes, one per call of `writeNext`, until its keys run out.
final class Interference: Sendable {
    private let state = Mutex<(store: PostgresStore?, keys: [String])>((nil, []))

    func start(through store: PostgresStore, keys: [String]) { state.withLock { $0 = (store, keys) } }

    func writeNext() async {
        let next = state.withLock { state -> (PostgresStore, String)? in
            guard let store = state.store, !state.keys.isEmpty else { return nil }
            return (store, state.keys.removeFirst())
        }
        guard let (store, key) = next else { return }
        _ = try? await store.create(key, value: Array("b".utf8))
    }
}

/// Collects `count` events, or fewer if `timeout` passes first.
func collect(_ stream: WatchStream, count: Int, timeout: Duration = .seconds(10)) async throws -> [WatchEvent] {
    try await withThrowingTaskGroup(of: [WatchEvent].self) { group in
        group.addTask {
            var events: [WatchEvent] = []
            for try await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return []
        }
        let first = try await group.next() ?? []
        group.cancelAll()
        return first
    }
}
