import Foundation
import Logging
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import SkiffTesting
import Synchronization
import Testing

/// Several servers on one datastore each run the `kubernetes` reconciler with membership: the Endpoints list every
/// live server; one that stops cleanly leaves at once, one that dies leaves when its lease expires.
@Suite(.timeLimit(.minutes(1))) struct KubernetesEndpointsTests {
    @Test func theEndpointsListEveryLiveServer() async throws {
        let logger = Logger(label: "test")
        let registry = ObjectRegistry(store: MemoryStore(), logger: logger)
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        // The clock that judges expiry stands still unless the test moves it: no lease runs out by itself.
        let offset = Mutex<TimeInterval>(0)
        let start = Date()
        let now: @Sendable () -> Date = { start + offset.withLock { $0 } }
        let cutOff = Mutex(false)
        // Server B's link to the datastore, which the test cuts as a kill -9 would: nothing renewed, nothing deleted.
        let apiB = InterceptingClusterAPI(base: api) { _ throws(APIError) in
            if cutOff.withLock({ $0 }) { throw APIError(code: 503, reason: "ServiceUnavailable", message: "cut off") }
        }
        func reconciler(_ address: String, _ api: any ClusterAPI) -> KubernetesServiceReconciler {
            KubernetesServiceReconciler(
                api: api, address: address, port: 6443, clusterIP: nil, interval: .milliseconds(50),
                membership: .seconds(15), now: now, logger: logger)
        }
        let endpoints = api.type("", "v1", "endpoints")
        let slices = api.type("discovery.k8s.io", "v1", "endpointslices")
        func addresses() async -> [String] {
            let object = try? await api.get(endpoints, namespace: "default", name: "kubernetes")
            return (object?["subsets"][0]["addresses"].arrayValue ?? []).compactMap { $0["ip"].stringValue }
        }
        func waitFor(_ expected: [String]) async throws {
            while await addresses() != expected { try await Task.sleep(for: .milliseconds(20)) }
        }
        let a = Task { try await reconciler("10.0.0.1", api).run() }
        let b = Task { try await reconciler("10.0.0.2", apiB).run() }
        let c = Task { try await reconciler("10.0.0.3", api).run() }
        defer { a.cancel() }
        try await waitFor(["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        let slice = try await api.get(slices, namespace: "default", name: "kubernetes")
        #expect(
            slice["endpoints"].arrayValue?.compactMap { $0["addresses"][0].stringValue } == [
                "10.0.0.1", "10.0.0.2", "10.0.0.3",
            ])
        let leases = try await api.list(
            api.type("coordination.k8s.io", "v1", "leases"), namespace: "kube-system",
            options: ListOptions(labelSelector: "skiff.io/apiserver-endpoint=true"))
        #expect(leases.items.compactMap(\.name).sorted() == (1...3).map { "skiff-apiserver-10-0-0-\($0)-6443" })

        // C stops (its run ends as at a graceful shutdown): it deletes its lease and the others drop it at once,
        // with no time passing on the clock that judges expiry.
        c.cancel()
        _ = await c.result
        try await waitFor(["10.0.0.1", "10.0.0.2"])

        // B dies: its lease stays, and it is listed until the lease has run out.
        cutOff.withLock { $0 = true }
        b.cancel()
        _ = await b.result
        #expect(await addresses() == ["10.0.0.1", "10.0.0.2"])
        offset.withLock { $0 = 16 }
        try await waitFor(["10.0.0.1"])
    }
}
