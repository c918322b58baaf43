import Logging
import SkiffClient
import SkiffModel
import Synchronization
import Testing

/// A cluster whose lists and watches follow a script, recording every call ("list", "watch <version>").
private final class RecordingCluster: ClusterAPI, Sendable {
    /// How one scripted watch behaves.
    enum Watch: Sendable {
        /// Sends the events, then ends normally (the server's timeoutSeconds passed).
        case endsAfter([ClusterEvent])
        /// Sends the events, then fails.
        case failsAfter([ClusterEvent], APIError)
        /// Sends the events, then the `marker` pod, and stays open.
        case staysOpen([ClusterEvent])
    }

    let resources = ResourceRegistry()
    private let lists: Mutex<[ObjectList]>
    private let watches: Mutex<[Watch]>
    private let log = Mutex<[String]>([])

    init(lists: [ObjectList], watches: [Watch]) {
        self.lists = Mutex(lists)
        self.watches = Mutex(watches)
    }

    var calls: [String] { log.withLock { $0 } }

    /// The last event of a watch that stays open: once an informer holds it, it has applied every call and waits on
    /// that watch, so no further call can come.
    static let marker: JSON = [
        "kind": "Pod", "apiVersion": "v1",
        "metadata": ["name": "open", "namespace": "marker", "resourceVersion": "1000"],
    ]

    func list(_ type: ResourceType, namespace: String?, options: ListOptions) async throws(APIError) -> ObjectList {
        log.withLock { $0.append("list") }
        guard let list = lists.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
            throw APIError.internal("unscripted list")
        }
        return list
    }

    func watch(_ type: ResourceType, namespace: String?, resourceVersion: String, options: ListOptions)
        async throws(APIError) -> AsyncThrowingStream<ClusterEvent, any Error>
    {
        log.withLock { $0.append("watch \(resourceVersion)") }
        let (stream, continuation) = AsyncThrowingStream<ClusterEvent, any Error>.makeStream()
        switch watches.withLock({ $0.isEmpty ? .staysOpen([]) : $0.removeFirst() }) {
        case .endsAfter(let events):
            for event in events { continuation.yield(event) }
            continuation.finish()
        case .failsAfter(let events, let error):
            for event in events { continuation.yield(event) }
            continuation.finish(throwing: error)
        case .staysOpen(let events):
            for event in events { continuation.yield(event) }
            continuation.yield(ClusterEvent(kind: .added, object: Self.marker))
        }
        return stream
    }

    func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> JSON {
        throw .notFound(type, name)
    }
    func create(_ type: ResourceType, namespace: String?, object: JSON, fieldManager: String) async throws(APIError)
        -> JSON
    { object }
    func update(_ type: ResourceType, namespace: String?, object: JSON, subresource: String?, fieldManager: String)
        async throws(APIError) -> JSON
    { object }
    func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSON, patchType: PatchType, subresource: String?,
        fieldManager: String
    ) async throws(APIError) -> JSON { patch }
    func delete(_ type: ResourceType, namespace: String?, name: String, options: JSON) async throws(APIError) {}
    func post(_ type: ResourceType, namespace: String?, name: String, subresource: String, body: JSON)
        async throws(APIError)
    {}
}

/// The informer resumes a watch that ended normally from the last resourceVersion it saw (client-go's reflector), and
/// relists only after a failure or a 410.
@Suite struct InformerRewatchTests {
    static func pod(_ name: String, _ version: String, controller: String? = nil) -> JSON {
        var pod: JSON = [
            "kind": "Pod", "apiVersion": "v1",
            "metadata": ["name": .string(name), "namespace": "prod", "resourceVersion": .string(version)],
        ]
        if let controller {
            pod["metadata"]["ownerReferences"] = [
                ["kind": "ReplicaSet", "name": "rs", "uid": .string(controller), "controller": true]
            ]
        }
        return pod
    }

    /// Runs an informer until it holds the marker of the scripted watch that stays open (it has applied every
    /// call before), then hands it and the calls to `check`. The 60 s limit only stops a hang (a busy test run can
    /// starve the informer's task for seconds).
    fileprivate static func run(_ cluster: RecordingCluster, check: (Informer, [String]) -> Void) async throws {
        let pods = try #require(cluster.resources.lookup(group: "", version: "v1", resource: "pods"))
        let informer = Informer(api: cluster, type: pods, logger: Logger(label: "test"))
        let task = Task { await informer.run { _ in } }
        let clock = ContinuousClock()
        let limit = clock.now + .seconds(60)
        while informer.get("marker/open") == nil, clock.now < limit { try await Task.sleep(for: .milliseconds(5)) }
        #expect(informer.get("marker/open") != nil, "the informer reached the watch that stays open")
        check(informer, cluster.calls)
        task.cancel()
        await task.value
    }

    @Test func aWatchThatEndsNormallyIsResumedFromTheLastVersionWithoutRelisting() async throws {
        let cluster = RecordingCluster(
            lists: [
                ObjectList(items: [Self.pod("a", "8", controller: "rs-1"), Self.pod("b", "9")], resourceVersion: "10")
            ],
            watches: [
                .endsAfter([
                    ClusterEvent(kind: .added, object: Self.pod("c", "11", controller: "rs-1")),
                    ClusterEvent(kind: .modified, object: Self.pod("b", "12", controller: "rs-2")),
                ]),
                .endsAfter([ClusterEvent(kind: .deleted, object: Self.pod("a", "13", controller: "rs-1"))]),
                .staysOpen([]),
            ])
        try await Self.run(cluster) { informer, calls in
            #expect(calls == ["list", "watch 10", "watch 12", "watch 13"])
            // The cache and its indexes carried over both re-watches.
            #expect(informer.hasSynced)
            #expect(informer.objects(inNamespace: "prod").compactMap(\.name).sorted() == ["b", "c"])
            #expect(informer.objects(controlledBy: "rs-1").compactMap(\.name) == ["c"])
            #expect(informer.objects(controlledBy: "rs-2").compactMap(\.name) == ["b"])
            #expect(informer.orphans(inNamespace: "prod").isEmpty)
            #expect(informer.objects(inNamespace: "prod").count == 2)
        }
    }

    @Test func a410LeadsToARelistThatDropsWhatVanished() async throws {
        let cluster = RecordingCluster(
            lists: [
                ObjectList(items: [Self.pod("a", "8"), Self.pod("b", "9")], resourceVersion: "10"),
                ObjectList(items: [Self.pod("b", "9"), Self.pod("d", "19")], resourceVersion: "20"),
            ],
            watches: [
                .endsAfter([ClusterEvent(kind: .added, object: Self.pod("c", "11"))]),
                .failsAfter([], APIError.expired("too old resource version: 11 (15)")),
                .staysOpen([]),
            ])
        try await Self.run(cluster) { informer, calls in
            #expect(calls == ["list", "watch 10", "watch 11", "list", "watch 20"])
            #expect(informer.objects(inNamespace: "prod").compactMap(\.name).sorted() == ["b", "d"])
            #expect(informer.orphans(inNamespace: "prod").compactMap(\.name).sorted() == ["b", "d"])
        }
    }

    @Test func aBrokenWatchLeadsToARelist() async throws {
        let cluster = RecordingCluster(
            lists: [
                ObjectList(items: [Self.pod("a", "8")], resourceVersion: "10"),
                ObjectList(items: [Self.pod("a", "8")], resourceVersion: "12"),
            ],
            watches: [
                .failsAfter(
                    [ClusterEvent(kind: .modified, object: Self.pod("a", "11"))],
                    APIError(code: 503, reason: "ServiceUnavailable", message: "cannot reach the server")),
                .staysOpen([]),
            ])
        try await Self.run(cluster) { _, calls in
            #expect(calls == ["list", "watch 10", "list", "watch 12"])
        }
    }

    @Test func aWatchEndingAtOnceWithoutEventsCountsAsAFailure() async throws {
        // client-go's "very short watch": a server that keeps closing watches at once is relisted after a backoff,
        // not re-watched in a tight loop.
        let cluster = RecordingCluster(
            lists: [
                ObjectList(items: [], resourceVersion: "10"),
                ObjectList(items: [], resourceVersion: "10"),
            ],
            watches: [.endsAfter([]), .staysOpen([])])
        try await Self.run(cluster) { _, calls in
            #expect(calls == ["list", "watch 10", "list", "watch 10"])
        }
    }
}
