import Foundation
import Logging
import SkiffClient
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAgent

/// The agent's API through its cache: reads answered from the cache while the server is unreachable, writes failed at
/// once, informers that run on the cache offline and relist from the server once it is back (a pod deleted meanwhile
/// goes), and the link's state machine and Node events.
@Suite struct CachedClusterAPITests {
    static let logger = Logger(label: "cached-api-test")

    /// The switch between the agent and the fake server: while `down`, every request fails as an unreachable
    /// server's does.
    final class Plug: Sendable {
        let down = Mutex(false)
        let requests = Mutex(0)

        func pass() throws(APIError) {
            requests.withLock { $0 += 1 }
            if down.withLock({ $0 }) { throw APIError.unreachable("https://server:6443", POSIXError(.ETIMEDOUT)) }
        }
    }

    struct Setup {
        let directory: TemporaryDirectory
        let server = FakeClusterAPI()
        let plug = Plug()
        let upstream: InterceptingClusterAPI
        let cache: AgentCache
        let link: ServerLinkMonitor
        let api: CachedClusterAPI

        init() throws {
            directory = try TemporaryDirectory("skiff-cached-api")
            let plug = plug
            let upstream = InterceptingClusterAPI(base: server) { _ throws(APIError) in try plug.pass() }
            self.upstream = upstream
            cache = try AgentCache(path: directory.file("cache/cache.db"), fingerprint: "ca", logger: logger)
            link = ServerLinkMonitor(server: "https://server:6443", logger: logger) { () async throws(APIError) in
                _ = try await upstream.get(upstream.type("", "v1", "namespaces"), namespace: nil, name: "default")
            }
            api = CachedClusterAPI(upstream: upstream, cache: cache, link: link)
        }

        var pods: ResourceType { server.type("", "v1", "pods") }
        var configMaps: ResourceType { server.type("", "v1", "configmaps") }

        func unplug() {
            plug.down.withLock { $0 = true }
            link.report(APIError.unreachable("https://server:6443", POSIXError(.ETIMEDOUT)))
        }

        func plugIn() {
            plug.down.withLock { $0 = false }
            link.answered()
        }
    }

    static func pod(_ name: String, node: String = "edge-1", configMap: String? = nil) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["nodeName": .string(node), "containers": [["name": "c", "image": "busybox"]]],
        ]
        if let configMap { pod["spec"]["volumes"] = [["name": "v", "configMap": ["name": .string(configMap)]]] }
        return pod
    }

    @Test func readsComeFromTheCacheWhileTheServerIsUnreachableAndWritesFailAtOnce() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        setup.server.put("pods", Self.pod("web", configMap: "page"))
        setup.server.put("pods", Self.pod("elsewhere", node: "edge-2"))
        setup.server.put("configmaps", ["metadata": ["name": "page", "namespace": "default"], "data": ["k": "v"]])
        setup.plugIn()
        let mine = ListOptions(fieldSelector: "spec.nodeName=edge-1")
        let online = try await setup.api.list(setup.pods, namespace: nil, options: mine)
        #expect(online.items.map(\.name) == ["web"])
        _ = try await setup.api.get(setup.configMaps, namespace: "default", name: "page")

        setup.unplug()
        let sent = setup.plug.requests.withLock { $0 }
        let offline = try await setup.api.list(setup.pods, namespace: nil, options: mine)
        #expect(offline.items.map(\.name) == ["web"])
        #expect(offline.resourceVersion == CachedClusterAPI.cacheVersion)
        let page = try await setup.api.get(setup.configMaps, namespace: "default", name: "page")
        #expect(page["data"]["k"] == "v")
        await #expect(throws: APIError.self) {
            _ = try await setup.api.get(setup.configMaps, namespace: "default", name: "never-read")
        }
        do {
            _ = try await setup.api.patch(
                setup.pods, namespace: "default", name: "web", patch: ["status": ["phase": "Running"]],
                patchType: .merge, subresource: "status", fieldManager: "kubelet")
            Issue.record("a write while offline fails")
        } catch {
            #expect(CachedClusterAPI.isOffline(error), "\(error)")
            #expect(error.message.contains("runs from its local cache"))
        }
        #expect(setup.plug.requests.withLock { $0 } == sent, "nothing was sent to the unreachable server")
    }

    @Test func anInformerRunsOnTheCacheOfflineAndRelistsFromTheServerWhenItIsBack() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        // What an earlier run of the agent left: two pods in the cache, the server unreachable from the start.
        setup.cache.record(kind: "pods", setup.server.put("pods", Self.pod("keep")))
        setup.cache.record(kind: "pods", setup.server.put("pods", Self.pod("doomed")))
        setup.unplug()
        let events = Mutex<[String]>([])
        let informer = Informer(
            api: setup.api, type: setup.pods, options: ListOptions(fieldSelector: "spec.nodeName=edge-1"),
            logger: Self.logger)
        let task = Task {
            await informer.run { event in events.withLock { $0.append("\(event.kind) \(event.object.name ?? "")") } }
        }
        defer { task.cancel() }
        await informer.waitUntilSynced()
        #expect(Set(informer.objects.compactMap(\.name)) == ["keep", "doomed"], "synced from the cache, offline")

        // Deleted on the server while the node cannot hear of it; then the link is back.
        setup.server.remove("pods", "default/doomed")
        setup.plugIn()
        while informer.get("default/doomed") != nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(events.withLock { $0 }.contains("deleted doomed"))
        #expect(informer.get("default/keep") != nil)
        #expect(setup.cache.object(CacheKey(kind: "pods", namespace: "default", name: "doomed")) == nil)

        // Online again, the informer follows the server's watch, recorded in the cache as it goes.
        setup.server.put("pods", Self.pod("new"))
        while informer.get("default/new") == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(setup.cache.object(CacheKey(kind: "pods", namespace: "default", name: "new")) != nil)
    }

    @Test func aWatchOpenedOnlineEndsWhenTheLinkGoesDown() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        setup.plugIn()
        let stream = try await setup.api.watch(setup.pods, namespace: nil, resourceVersion: "1", options: ListOptions())
        setup.unplug()
        do {
            for try await _ in stream {}
            Issue.record("the watch ends with an error")
        } catch let error as APIError {
            #expect(error.code == 410)
        }
    }

    @Test func podsTokensAreHandedOutAgainOfflineAndForgottenWithThePod() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        setup.plugIn()
        let issued = Mutex(0)
        let request = setup.api.cachingTokens { _, _, _ in
            issued.withLock { $0 += 1 }
            if setup.plug.down.withLock({ $0 }) {
                throw APIError.unreachable("https://server:6443", POSIXError(.EHOSTUNREACH))
            }
            let token = "t-\(issued.withLock { $0 })"
            return ["status": ["token": .string(token), "expirationTimestamp": "2030-01-01T00:00:00Z"]]
        }
        let web = setup.server.put("pods", Self.pod("web"))
        _ = try await setup.api.list(setup.pods, namespace: nil, options: ListOptions())
        let body: JSON = ["spec": ["boundObjectRef": ["kind": "Pod", "name": "web", "uid": .string(web.uid ?? "")]]]
        let first = try await request("default", "default", body)
        setup.unplug()
        let again = try await request("default", "default", body)
        #expect(again["status"]["token"] == first["status"]["token"])
        #expect(issued.withLock { $0 } == 1, "offline: not asked of the server")

        setup.plugIn()
        setup.server.remove("pods", "default/web")
        _ = try await setup.api.list(setup.pods, namespace: nil, options: ListOptions())
        #expect(!setup.cache.keys.contains { $0.kind == "serviceaccounttokens" }, "the pod's tokens went with it")
    }

    @Test func nodesAreKeptAsThePodNetworkReadsThemSoHeartbeatsWriteNothing() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        setup.plugIn()
        let nodes = setup.server.type("", "v1", "nodes")
        func node(heartbeat: String) -> JSON {
            [
                "metadata": ["name": "edge-2", "labels": ["zone": "a"]],
                "spec": ["podCIDR": "10.42.2.0/24"],
                "status": [
                    "addresses": [["type": "InternalIP", "address": "192.168.1.12"]],
                    "conditions": [["type": "Ready", "status": "True", "lastHeartbeatTime": .string(heartbeat)]],
                ],
            ]
        }
        setup.server.put("nodes", node(heartbeat: "2026-12-07T00:00:00Z"))
        _ = try await setup.api.list(nodes, namespace: nil, options: ListOptions())
        try setup.cache.flush()
        let flushes = setup.cache.flushes
        setup.server.put("nodes", node(heartbeat: "2026-12-07T00:05:00Z"))
        _ = try await setup.api.list(nodes, namespace: nil, options: ListOptions())
        try setup.cache.flush()
        #expect(setup.cache.flushes == flushes, "a heartbeat changes nothing the cache keeps")
        let kept = try #require(setup.cache.object(CacheKey(kind: "nodes", namespace: "", name: "edge-2")))
        #expect(kept["spec"]["podCIDR"] == "10.42.2.0/24")
        #expect(kept["status"]["addresses"][0]["address"] == "192.168.1.12")
        #expect(kept["metadata"]["labels"]["zone"] == "a")
    }

    // MARK: The link

    @Test func theLinkGoesOfflineOnAnUnreachableServerAndComesBackOnAnAnswer() {
        var link = ServerLink()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(link.handle(.answered(at: t0)) == .connected(at: t0))
        #expect(link.handle(.answered(at: t0 + 5)) == nil)
        let generation = link.generation
        #expect(
            link.handle(.unreachable(at: t0 + 12, reason: "timeout"))
                == .wentOffline(since: t0 + 12, lastHeard: t0 + 5, reason: "timeout"))
        #expect(link.generation == generation + 1)
        #expect(link.handle(.unreachable(at: t0 + 14, reason: "timeout")) == nil, "offline once")
        #expect(link.handle(.answered(at: t0 + 60)) == .cameBack(offlineSince: t0 + 12, lastHeard: t0 + 5, at: t0 + 60))
        #expect(link.generation == generation + 2)
        #expect(!ServerLink.isUnreachable(APIError(code: 404, reason: "NotFound", message: "pods \"x\" not found")))
    }

    @Test func theMonitorStartsOfflineOnARefusedProbeAndSeesTheServerComeBack() async throws {
        let clock = ManualClock()
        let reachable = Mutex(false)
        let monitor = ServerLinkMonitor(
            server: "https://server:6443", configuration: .init(clock: ServiceClock(clock)), logger: Self.logger
        ) { () async throws(APIError) in
            guard reachable.withLock({ $0 }) else {
                throw APIError.unreachable("https://server:6443", POSIXError(.ECONNREFUSED))
            }
        }
        let actions = Mutex<[String]>([])
        let back = Latch()
        monitor.onChange { action in
            switch action {
            case .connected: actions.withLock { $0.append("connected") }
            case .wentOffline: actions.withLock { $0.append("offline") }
            case .cameBack:
                actions.withLock { $0.append("back") }
                back.open()
            }
        }
        let task = Task { try await monitor.run() }
        defer { task.cancel() }
        await monitor.waitUntilDecided()
        try #require(monitor.isOffline, "a refused first probe: the agent runs from its cache at once")
        #expect(monitor.offlineError.message.contains("runs from its local cache"))

        reachable.withLock { $0 = true }
        // The probe loop and the offline reminder sleep; the next probe comes after the offline interval.
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(2))
        await monitor.waitUntilOnline()
        await back.wait()
        #expect(actions.withLock { $0 } == ["offline", "back"])
        #expect(!monitor.isOffline)
    }

    @Test func theNodesEventsTellOfTheLossWhenTheServerIsBack() throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let events = NodeLinkEvents.events(
            for: .cameBack(offlineSince: t0, lastHeard: t0 - 3, at: t0 + 192), node: "edge-1")
        #expect(events.map { $0["reason"].stringValue } == ["ServerUnreachable", "ServerReachable"])
        #expect(events[0]["firstTimestamp"].stringValue == KubeTimestamp.string(t0), "the loss dated when it happened")
        #expect(events[1]["message"].stringValue?.contains("after 3m12s offline") == true)
        #expect(events.allSatisfy { $0["involvedObject"]["uid"] == "edge-1" && $0["involvedObject"]["kind"] == "Node" })
        #expect(NodeLinkEvents.events(for: .connected(at: t0), node: "edge-1").isEmpty)
    }
}
