import SkiffModel
import Testing
@testable import SkiffAgent

/// Typed clients reject nodes and pods missing required fields (the Python client needs `nodeInfo.architecture`).
@Suite struct SimulatedNodeShapeTests {
    @Test func nodesCarryWhatClientsRequire() {
        let node = SimulatedNodes.node("sim-7", index: 7)
        #expect(node.name == "sim-7")
        #expect(node["status"]["nodeInfo"]["architecture"] == "amd64")
        #expect(node["status"]["allocatable"]["pods"] == "110")
        let ready = node["status"]["conditions"].arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "True")
        #expect(node["spec"]["podCIDR"] == "10.42.7.0/24")
    }

    @Test func boundPodsReportRunningAndReady() {
        let pod: JSON = ["metadata": ["name": "web-1"], "spec": ["containers": [["name": "app", "image": "busybox"]]]]
        let status = SimulatedNodes.runningStatus(pod, node: "sim-0")
        #expect(status["phase"] == "Running")
        #expect(status["containerStatuses"][0]["ready"] == true)
        #expect(status["containerStatuses"][0]["name"] == "app")
        #expect(status["conditions"].arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true)
    }
}
