import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import SkiffClient
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffControllers

@Suite struct LeaderElectionStateTests {
    let wall = Date(timeIntervalSince1970: 1_700_000_000)

    func held(by holder: String, transitions: Int = 0, renewed: Date? = nil) -> LeaseRecord {
        LeaseRecord(
            holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: wall, renewTime: renewed ?? wall,
            leaseTransitions: transitions)
    }

    func mine(_ transitions: Int, at wallTime: Date, acquired: Date? = nil) -> LeaseRecord {
        LeaseRecord(
            holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: acquired ?? wallTime, renewTime: wallTime,
            leaseTransitions: transitions)
    }

    @Test func createsTheLeaseWhenThereIsNone() {
        var state = LeaderElectionState(identity: "me")
        #expect(state.observe(nil, resourceVersion: nil, now: .zero, wallTime: wall) == .create(mine(0, at: wall)))
        #expect(!state.isLeader)
        let started = state.written(mine(0, at: wall), resourceVersion: "1", now: .zero)
        #expect(started)
        #expect(state.isLeader)
    }

    @Test func waitsWhileAnotherHolderIsFreshOnTheLocalClock() {
        var state = LeaderElectionState(identity: "me")
        // The remote timestamps are an hour old: only the time this candidate has watched the record counts.
        let stale = held(by: "other", renewed: wall - 3600)
        #expect(
            state.observe(stale, resourceVersion: "5", now: .seconds(100), wallTime: wall) == .wait(holder: "other"))
        #expect(
            state.observe(stale, resourceVersion: "5", now: .seconds(114.9), wallTime: wall) == .wait(holder: "other"))
        let later = wall + 15
        #expect(
            state.observe(stale, resourceVersion: "5", now: .seconds(115), wallTime: later)
                == .takeOver(
                    LeaseRecord(
                        holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: later, renewTime: later,
                        leaseTransitions: 1),
                    resourceVersion: "5"))
    }

    @Test func aCandidateKnowsWhenTheHoldersLeaseExpires() {
        var state = LeaderElectionState(identity: "me")
        #expect(state.untilExpiry(now: .zero) == nil, "nothing observed")
        _ = state.observe(held(by: "other"), resourceVersion: "5", now: .seconds(100), wallTime: wall)
        #expect(state.untilExpiry(now: .seconds(104)) == .seconds(11))
        #expect(state.untilExpiry(now: .seconds(120)) == .zero)
        // Once it leads, there is nothing to wait for.
        _ = state.observe(held(by: "other"), resourceVersion: "5", now: .seconds(115), wallTime: wall)
        _ = state.written(held(by: "me"), resourceVersion: "6", now: .seconds(115))
        #expect(state.untilExpiry(now: .seconds(116)) == nil)
    }

    @Test func aChangedRecordRestartsTheExpiry() {
        var state = LeaderElectionState(identity: "me")
        #expect(state.observe(held(by: "other"), resourceVersion: "5", now: .zero, wallTime: wall) != .lostLeadership)
        // Renewed at t=10: expiry now counts from 10, whatever its timestamps say.
        let renewed = held(by: "other", renewed: wall + 10)
        #expect(
            state.observe(renewed, resourceVersion: "6", now: .seconds(10), wallTime: wall) == .wait(holder: "other"))
        #expect(
            state.observe(renewed, resourceVersion: "6", now: .seconds(24), wallTime: wall) == .wait(holder: "other"))
        guard case .takeOver = state.observe(renewed, resourceVersion: "6", now: .seconds(25), wallTime: wall) else {
            Issue.record("expected a take-over 15 s after the last change was seen")
            return
        }
    }

    @Test func theObservedLeaseDurationDecidesNotTheOwnOne() {
        var state = LeaderElectionState(
            identity: "me", configuration: .init(leaseDuration: .seconds(60), renewDeadline: .seconds(40)))
        var short = held(by: "other")
        short.leaseDurationSeconds = 5
        #expect(state.observe(short, resourceVersion: "5", now: .zero, wallTime: wall) == .wait(holder: "other"))
        guard
            case .takeOver(let record, _) = state.observe(short, resourceVersion: "5", now: .seconds(5), wallTime: wall)
        else {
            Issue.record("expected a take-over after the lease's own 5 s")
            return
        }
        #expect(record.leaseDurationSeconds == 60)
    }

    @Test func aReleasedLeaseIsTakenAtOnceAndCountsATransition() {
        var state = LeaderElectionState(identity: "me")
        let released = LeaseRecord(
            holderIdentity: "", leaseDurationSeconds: 1, acquireTime: wall, renewTime: wall, leaseTransitions: 3)
        #expect(
            state.observe(released, resourceVersion: "9", now: .zero, wallTime: wall)
                == .takeOver(mine(4, at: wall), resourceVersion: "9"))
    }

    @Test func renewsItsOwnLeaseKeepingAcquireTimeAndTransitions() {
        var state = LeaderElectionState(identity: "me")
        state.written(mine(2, at: wall), resourceVersion: "7", now: .zero)
        let later = wall + 2
        #expect(
            state.observe(mine(2, at: wall), resourceVersion: "7", now: .seconds(2), wallTime: later)
                == .renew(mine(2, at: later, acquired: wall), resourceVersion: "7"))
        let startedAgain = state.written(mine(2, at: later, acquired: wall), resourceVersion: "8", now: .seconds(2))
        #expect(!startedAgain)
        #expect(state.isLeader)
    }

    @Test func losesLeadershipWhenItCannotRenewWithinTheDeadline() {
        var state = LeaderElectionState(identity: "me")
        state.written(mine(0, at: wall), resourceVersion: "7", now: .seconds(100))
        let failures = [102, 109.9, 110].map { state.failed(now: .seconds($0)) }
        #expect(failures == [false, false, true])
        #expect(!state.isLeader)
    }

    @Test func aSuccessfulRenewalMovesTheDeadline() {
        var state = LeaderElectionState(identity: "me")
        state.written(mine(0, at: wall), resourceVersion: "7", now: .zero)
        let early = state.failed(now: .seconds(8))
        state.written(mine(0, at: wall), resourceVersion: "8", now: .seconds(9))
        let late = state.failed(now: .seconds(18))
        #expect(!early && !late)
        // Even a lease that still names it is not renewed past the deadline.
        #expect(
            state.observe(mine(0, at: wall), resourceVersion: "8", now: .seconds(19), wallTime: wall) == .lostLeadership
        )
    }

    @Test func anotherHolderEndsLeadershipAtOnce() {
        var state = LeaderElectionState(identity: "me")
        state.written(mine(0, at: wall), resourceVersion: "7", now: .zero)
        #expect(
            state.observe(held(by: "other", transitions: 1), resourceVersion: "9", now: .seconds(2), wallTime: wall)
                == .lostLeadership)
        #expect(!state.isLeader)
        // As a candidate again it waits for the new holder's lease like anyone else.
        #expect(
            state.observe(held(by: "other", transitions: 1), resourceVersion: "9", now: .seconds(4), wallTime: wall)
                == .wait(holder: "other"))
    }

    @Test func aLeaderRecreatesADeletedLease() {
        var state = LeaderElectionState(identity: "me")
        state.written(mine(3, at: wall), resourceVersion: "7", now: .zero)
        #expect(
            state.observe(nil, resourceVersion: nil, now: .seconds(2), wallTime: wall) == .create(mine(0, at: wall)))
    }

    @Test func releaseHandsTheLeaseOverOnlyWhenLeading() throws {
        var state = LeaderElectionState(identity: "me")
        #expect(state.release(wallTime: wall) == nil)
        state.written(mine(4, at: wall), resourceVersion: "7", now: .zero)
        let released = state.release(wallTime: wall + 5)
        let (record, version) = try #require(released)
        #expect(version == "7")
        #expect(
            record
                == LeaseRecord(
                    holderIdentity: "", leaseDurationSeconds: 1, acquireTime: wall + 5, renewTime: wall + 5,
                    leaseTransitions: 4))
        #expect(!state.isLeader)
    }

    @Test func theSpecIsWrittenAsClientGoWritesIt() {
        let record = LeaseRecord(
            holderIdentity: "server-a_1", leaseDurationSeconds: 15,
            acquireTime: Date(timeIntervalSince1970: 1_700_000_000.25), renewTime: wall, leaseTransitions: 2)
        #expect(
            record.spec
                == [
                    "holderIdentity": "server-a_1", "leaseDurationSeconds": 15, "leaseTransitions": 2,
                    "acquireTime": "2023-11-14T22:13:20.250000Z", "renewTime": "2023-11-14T22:13:20.000000Z",
                ])
        #expect(LeaseRecord(lease: ["spec": record.spec]) == record)
    }
}

/// Candidates on one in-memory API that, as a server does, refuses a create of an existing object and an update
/// at an old resourceVersion; each candidate's calls can be cut off (a dead or unreachable server). Time is a
/// `ManualClock`: every candidate, idle, sleeps on it exactly once, so `settle` knows when all have acted.
final class Election: Sendable {
    let clock = ManualClock()
    let fake = FakeClusterAPI()
    let journal = Journal()
    let cutOff = Mutex<Set<String>>([])
    /// One for all candidates: its lock makes each create and update atomic, as the store does.
    let server: ConsistentAPI
    let lease = LeaderElector.LeaseName(namespace: "kube-system", name: "skiff-controllers")

    init() { server = ConsistentAPI(base: fake) }

    func api(_ identity: String) -> any ClusterAPI {
        InterceptingClusterAPI(base: server) { _ throws(APIError) in
            if self.cutOff.withLock({ $0.contains(identity) }) {
                throw APIError(code: 503, reason: "ServiceUnavailable", message: "\(identity) is cut off")
            }
        }
    }

    func elector(_ identity: String) -> LeaderElector {
        let (clock, origin) = (clock, Date(timeIntervalSince1970: 1_700_000_000))
        return LeaderElector(
            api: api(identity), lease: lease, identity: identity, clock: ServiceClock(clock),
            wallClock: { origin + Double(clock.now.offset.components.seconds) }, jitter: 0,
            logger: Logger(label: "skiff.leader-election-tests"))
    }

    /// The leader's work: counted in the journal, running until cancelled or shut down gracefully.
    func start(_ identity: String) -> Task<Void, Never> {
        let (elector, journal) = (elector(identity), journal)
        return Task {
            await elector.run {
                journal.begin(identity)
                defer { journal.end(identity) }
                try? await gracefulShutdown()
            }
        }
    }

    var record: LeaseRecord? { fake.object("leases", "kube-system/skiff-controllers").map(LeaseRecord.init(lease:)) }
    var leading: [String] { journal.snapshot.active.filter { $0.value > 0 }.keys.sorted() }

    /// Moves time on one second at a time, each time until `candidates` sleep again.
    func settle(_ duration: Duration, candidates: Int) async {
        await clock.waitForSleepers(candidates)
        var left = duration
        while left > .zero {
            clock.advance(by: .seconds(1))
            left -= .seconds(1)
            await clock.waitForSleepers(candidates)
        }
    }

    func waitUntilLeading(_ identity: String, terms: Int = 1) async {
        await journal.wait { ($0.started[identity] ?? 0) >= terms && ($0.active[identity] ?? 0) > 0 }
    }
}

/// `FakeClusterAPI` with a server's optimistic concurrency on create and update.
final class ConsistentAPI: ClusterAPI {
    let base: FakeClusterAPI
    private let writes = Mutex(())

    init(base: FakeClusterAPI) { self.base = base }

    var resources: ResourceRegistry { base.resources }

    private func key(_ namespace: String?, _ name: String) -> String { namespace.map { "\($0)/\(name)" } ?? name }

    func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        try await base.get(type, namespace: namespace, name: name)
    }

    func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError) -> ObjectList {
        try await base.list(type, namespace: namespace, options: options)
    }

    func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        try await base.watch(type, namespace: namespace, resourceVersion: resourceVersion, options: options)
    }

    func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String) async throws(APIError)
        -> JSON
    {
        let name = object.name ?? ""
        return try writes.withLock { _ throws(APIError) in
            if base.object(type.resource, key(namespace, name)) != nil { throw APIError.alreadyExists(type, name) }
            var object = object
            object["metadata"]["namespace"] = .string(namespace ?? "default")
            object["metadata"]["uid"] = .string(UUID().uuidString.lowercased())
            return base.put(type.resource, object)
        }
    }

    func update(_ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String)
        async throws(APIError) -> JSON
    {
        let name = object.name ?? ""
        return try writes.withLock { _ throws(APIError) in
            guard let current = base.object(type.resource, key(namespace, name)) else {
                throw APIError.notFound(type, name)
            }
            if let version = object.resourceVersion, version != current.resourceVersion {
                throw APIError.conflict(type, name)
            }
            return base.put(type.resource, object)
        }
    }

    func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON {
        try await base.patch(
            type, namespace: namespace, name: name, patch: patch, patchType: patchType, subresource: subresource,
            fieldManager: fieldManager)
    }

    func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {
        try await base.delete(type, namespace: namespace, name: name, options: options)
    }

    func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {
        try await base.post(type, namespace: namespace, name: name, subresource: subresource, body: body)
    }
}

@Suite(.timeLimit(.minutes(1))) struct LeaderElectorTests {
    @Test func ofTwoCandidatesExactlyOneLeads() async {
        let election = Election()
        let tasks = [election.start("a"), election.start("b")]
        await election.journal.wait { $0.started.values.reduce(0, +) > 0 }
        // Many retry periods later still one leader, the lease's holder, in its first term.
        await election.settle(.seconds(30), candidates: 2)
        #expect(election.leading.count == 1)
        #expect(election.journal.snapshot.started.values.reduce(0, +) == 1)
        #expect(election.record?.holderIdentity == election.leading.first)
        #expect(election.record?.leaseTransitions == 0)
        #expect(election.record?.leaseDurationSeconds == 15)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    @Test func aDeadLeaderIsReplacedAfterTheLeaseDuration() async throws {
        let election = Election()
        let tasks = ["a": election.start("a"), "b": election.start("b")]
        await election.journal.wait { $0.started.values.reduce(0, +) > 0 }
        await election.settle(.seconds(4), candidates: 2)
        let leader = try #require(election.leading.first)
        let follower = leader == "a" ? "b" : "a"
        // Killed: nothing it sends arrives any more, so it cannot release the lease either.
        election.cutOff.withLock { _ = $0.insert(leader) }
        tasks[leader]?.cancel()
        await tasks[leader]?.value
        #expect(election.record?.holderIdentity == leader)
        // Its last renewal was at most one retry period ago: nobody may take over before 15 - 2 s have passed.
        await election.settle(.seconds(12), candidates: 1)
        #expect(election.leading.isEmpty)
        await election.settle(.seconds(8), candidates: 1)
        await election.waitUntilLeading(follower)
        #expect(election.record?.holderIdentity == follower)
        #expect(election.record?.leaseTransitions == 1)
        tasks[follower]?.cancel()
        await tasks[follower]?.value
    }

    @Test func aGracefulStopReleasesTheLeaseForAnImmediateTakeOver() async throws {
        let election = Election()
        // Only "a" runs under the shutdown trigger; "b" must not see the shutdown.
        let (trigger, a) = await testGracefulShutdown { trigger in (trigger, election.start("a")) }
        await election.waitUntilLeading("a")
        let b = election.start("b")
        await election.settle(.seconds(4), candidates: 2)
        #expect(election.leading == ["a"])
        trigger.triggerGracefulShutdown()
        await a.value
        #expect(election.journal.snapshot.finished["a"] == 1)
        #expect(election.record?.holderIdentity == "")
        #expect(election.record?.leaseDurationSeconds == 1)
        // One retry period, not a lease duration.
        await election.settle(.seconds(2), candidates: 1)
        await election.waitUntilLeading("b")
        #expect(election.record?.holderIdentity == "b")
        #expect(election.record?.leaseTransitions == 1)
        b.cancel()
        await b.value
        // Cancelled while leading: released too.
        #expect(election.record?.holderIdentity == "")
    }

    @Test func aLeaderThatCannotRenewStopsItsWorkWithinTheRenewDeadline() async {
        let election = Election()
        let a = election.start("a")
        await election.waitUntilLeading("a")
        election.cutOff.withLock { _ = $0.insert("a") }
        await election.settle(.seconds(9), candidates: 1)
        #expect(election.leading == ["a"])
        await election.settle(.seconds(1), candidates: 1)
        await election.journal.wait { $0.finished["a"] == 1 }
        #expect(election.leading.isEmpty)
        // The server comes back: the lease still names this candidate, which leads again in a new term.
        election.cutOff.withLock { $0.removeAll() }
        await election.settle(.seconds(2), candidates: 1)
        await election.waitUntilLeading("a", terms: 2)
        a.cancel()
        await a.value
    }

    @Test func anotherHolderStopsTheLeaderAtTheNextRenewal() async {
        let election = Election()
        let a = election.start("a")
        await election.waitUntilLeading("a")
        await election.clock.waitForSleepers(1)
        // Someone (a candidate whose clock ran fast) wrote itself in.
        var lease = election.fake.object("leases", "kube-system/skiff-controllers")!
        lease["spec"]["holderIdentity"] = "intruder"
        election.fake.put("leases", lease)
        await election.settle(.seconds(2), candidates: 1)
        await election.journal.wait { $0.finished["a"] == 1 }
        #expect(election.record?.holderIdentity == "intruder")
        a.cancel()
        await a.value
    }
}

/// A controller stand-in: counted in the journal, running until cancelled or shut down gracefully.
struct RecordingService: Service {
    let name: String
    let journal: Journal

    func run() async throws {
        journal.begin(name)
        defer { journal.end(name) }
        try? await gracefulShutdown()
    }
}

@Suite(.timeLimit(.minutes(1))) struct LeaderElectedServicesTests {
    func services(_ election: Election) -> LeaderElectedServices {
        LeaderElectedServices(elector: election.elector("a"), logger: Logger(label: "skiff.leader-election-tests")) {
            [journal = election.journal] in
            journal.begin("built")
            return [
                RecordingService(name: "scheduler", journal: journal), RecordingService(name: "gc", journal: journal),
            ]
        }
    }

    @Test func servicesStopWhenLeadershipIsLostAndAreBuiltAgainForTheNextTerm() async throws {
        let election = Election()
        let service = services(election)
        let task = Task { try await service.run() }
        await election.journal.wait { $0.active["scheduler"] == 1 && $0.active["gc"] == 1 }
        election.cutOff.withLock { _ = $0.insert("a") }
        await election.settle(.seconds(10), candidates: 1)
        await election.journal.wait { $0.finished["scheduler"] == 1 && $0.finished["gc"] == 1 }
        election.cutOff.withLock { $0.removeAll() }
        await election.settle(.seconds(2), candidates: 1)
        await election.journal.wait { $0.started["scheduler"] == 2 && $0.active["gc"] == 1 }
        #expect(election.journal.snapshot.started["built"] == 2)
        task.cancel()
        try await task.value
    }

    @Test func aGracefulShutdownStopsTheServicesThenReleasesTheLease() async throws {
        let election = Election()
        try await testGracefulShutdown { trigger in
            let service = services(election)
            let task = Task { try await service.run() }
            await election.journal.wait { $0.active["scheduler"] == 1 && $0.active["gc"] == 1 }
            #expect(election.record?.holderIdentity == "a")
            trigger.triggerGracefulShutdown()
            try await task.value
            #expect(election.journal.snapshot.finished["scheduler"] == 1)
            #expect(election.journal.snapshot.finished["gc"] == 1)
            #expect(election.record?.holderIdentity == "")
        }
    }
}
