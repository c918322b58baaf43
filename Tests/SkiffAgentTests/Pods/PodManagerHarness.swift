import Foundation
import Logging
import SkiffCRI
import SkiffModel
import SkiffTesting
import Synchronization

@testable import SkiffAgent

/// A fake prober whose answers the test sets.
final class FakeProber: Prober {
    let answers = Mutex<[Int: ProbeResult]>([:])

    func httpGet(host: String, port: Int, path: String, scheme: String, headers: [(String, String)], timeout: Duration)
        async -> ProbeResult
    {
        answers.withLock { $0[port] ?? .success }
    }

    func tcpSocket(host: String, port: Int, timeout: Duration) async -> ProbeResult {
        answers.withLock { $0[port] ?? .success }
    }
}

/// A PodManager over a fake API and a fake runtime, on a manual clock from which the wall clock derives too.
struct PodManagerHarness {
    let clock = ManualClock()
    let api = FakeClusterAPI()
    let runtime: FakeContainerRuntime
    let directory: TemporaryDirectory
    let prober = FakeProber()

    init() throws {
        let clock = clock
        runtime = FakeContainerRuntime(now: {
            PodFixture.epochNanos + Int64(clock.now.offset.components.seconds) * 1_000_000_000
        })
        directory = try TemporaryDirectory("pod-manager")
        runtime.addImage("busybox:1.36", digest: "sha256:abc")
    }

    func manager() -> PodManager {
        let clock = clock
        var configuration = PodManager.Configuration(
            nodeName: "node-a", nodeIP: "192.168.1.2", podLogDirectory: directory.path + "/logs",
            podsDirectory: directory.path + "/pods", clusterDNS: ["10.43.0.10"], clock: ServiceClock(clock),
            now: { PodFixture.epoch.addingTimeInterval(Double(clock.now.offset.components.seconds)) },
            resolvConf: directory.path + "/resolv.conf", prober: prober)
        configuration.workers = 2
        return PodManager(api: api, runtime: runtime, configuration: configuration, logger: Logger(label: "pods-test"))
    }

    /// Runs a manager while `body` runs, then cancels it.
    func run(_ body: () async throws -> Void) async throws {
        let manager = manager()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await manager.run() }
            try await body()
            group.cancelAll()
        }
    }

    /// Moves the manual clock a second at a time (letting the manager's tasks run in between) until `condition`
    /// holds; the manual clock, not real time, decides what happens.
    func advance(until condition: () -> Bool, limit: Int = 600) async -> Bool {
        for _ in 0..<limit {
            for _ in 0..<40 { await Task.yield() }
            if condition() { return true }
            clock.advance(by: .seconds(1))
        }
        return condition()
    }

    func pod(_ key: String = "default/web") -> JSON? { api.object("pods", key) }

    func containerState(_ key: String = "default/web", _ index: Int = 0) -> JSON {
        pod(key)?["status"]["containerStatuses"][index]["state"] ?? .null
    }

    func events(reason: String) -> [JSON] {
        api.objects("events").filter { $0["reason"].stringValue == reason }
    }

    func eventMessages() -> [String] { api.objects("events").compactMap { $0["message"].stringValue } }
}
