import Logging
import ServiceLifecycle
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAgent

/// The service proxy's loop over a fake API and a recording `nft`: the whole table first, then incremental
/// transactions, nothing for changes that change no rule, and a whole table again after a failed transaction.
@Suite struct ServiceProxyTests {
    /// Records every script; fails the next `failures` transactions.
    final class RecordingNFT: NFTables {
        let scripts = Mutex<[String]>([])
        let failures = Mutex(0)

        func apply(_ script: String) async throws(HostNetworkError) {
            let fail = failures.withLock { count in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if fail { throw HostNetworkError(command: ["nft", "-f", "-"], message: "Error: Could not process rule") }
            scripts.withLock { $0.append(script) }
        }

        var count: Int { scripts.withLock { $0.count } }
        var last: String { scripts.withLock { $0.last ?? "" } }
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func programsTheWholeTableThenOnlyWhatChanged() async throws {
        let api = FakeClusterAPI()
        let nft = RecordingNFT()
        api.put(
            "services", ProxyFixtures.service("web", clusterIP: "10.43.1.1", ports: [ProxyFixtures.port("http", 80)]))
        api.put(
            "endpointslices",
            ProxyFixtures.slice(
                "web-1", service: "web", ports: [ProxyFixtures.slicePort("http", 8080)],
                endpoints: [ProxyFixtures.endpoint("10.42.0.5")]))
        let watch = ServiceWatch(api: api, logger: Logger(label: "proxy-test"))
        let proxy = ServiceProxy(
            watch: watch, nft: nft,
            configuration: .init(
                nodeName: ProxyFixtures.node, clusterCIDR: ProxyFixtures.clusterCIDR, serviceCIDR: nil,
                clusterDNS: ProxyFixtures.clusterDNS, retryDelay: .milliseconds(20)),
            logger: Logger(label: "proxy-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watch.run() }
            group.addTask { try await proxy.run() }
            try await Self.waitFor { nft.count == 1 }
            #expect(nft.last.contains("delete table ip skiff-proxy"))
            #expect(nft.last.contains("dnat to 10.42.0.5:8080"))
            // An endpoint added: a small incremental transaction, not the table again.
            api.put(
                "endpointslices",
                ProxyFixtures.slice(
                    "web-1", service: "web", ports: [ProxyFixtures.slicePort("http", 8080)],
                    endpoints: [ProxyFixtures.endpoint("10.42.0.5"), ProxyFixtures.endpoint("10.42.0.6")]))
            try await Self.waitFor { nft.count == 2 }
            #expect(!nft.last.contains("delete table"))
            #expect(nft.last.contains("dnat to 10.42.0.6:8080"))
            // A change that changes no rule (a label): no transaction; the next real change proves it was seen.
            api.put(
                "services",
                ProxyFixtures.service("other", clusterIP: "None", ports: [ProxyFixtures.port("http", 80)]))
            nft.failures.withLock { $0 = 1 }
            api.put(
                "endpointslices",
                ProxyFixtures.slice(
                    "web-1", service: "web", ports: [ProxyFixtures.slicePort("http", 8080)],
                    endpoints: [ProxyFixtures.endpoint("10.42.0.6")]))
            // That transaction fails once: it is retried, whole.
            try await Self.waitFor { nft.count == 3 }
            #expect(nft.last.contains("delete table ip skiff-proxy"))
            #expect(!nft.last.contains("10.42.0.5"))
            #expect(nft.last.contains("dnat to 10.42.0.6:8080"))
            group.cancelAll()
        }
    }
}
