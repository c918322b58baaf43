import Foundation
import Logging
import SkiffModel
import SkiffTesting
import Synchronization
import Testing

@testable import SkiffAgent

struct NodeStatusReporterTests {
    static let description = NodeDescription(
        name: "node-a", internalIP: "192.168.1.2",
        machine: MachineInfo(
            cpus: 2, memoryBytes: 1 << 30, storageBytes: 1 << 34, kernelVersion: "6.1", osImage: "Debian",
            architecture: "amd64"),
        containerRuntimeVersion: "containerd://1.6", kubeletVersion: "v1.32.0")

    func ready(_ api: FakeClusterAPI) -> String? {
        api.object("nodes", "node-a")?["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }?["status"]
            .stringValue
    }

    /// The runtime turns ready (containerd loads the CNI config) just after the node registered NotReady: the node
    /// is Ready at the next one-second check, not at the next heartbeat ten seconds later.
    @Test func aRuntimeReadyJustAfterRegistrationIsPostedAtTheNextCheck() async throws {
        let api = FakeClusterAPI()
        let clock = ManualClock()
        let calls = Mutex(0)
        let reporter = NodeStatusReporter(
            api: api, description: Self.description, configuration: .init(clock: ServiceClock(clock)),
            logger: Logger(label: "node-test")
        ) {
            let call = calls.withLock {
                $0 += 1
                return $0
            }
            // Registration reads the health twice (the new Node, its first status); the change comes right after.
            return call <= 2
                ? NodeHealth(notReadyMessage: "container runtime not ready: NetworkReady=false") : NodeHealth()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await reporter.run() }
            await clock.waitForSleepers(1)
            #expect(ready(api) == "False")
            clock.advance(by: .seconds(1))
            await clock.waitForSleepers(1)
            #expect(ready(api) == "True")
            group.cancelAll()
        }
    }
}
