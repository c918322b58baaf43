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

    @Test func podIPsComeFromTheNodeCIDRAndWaitForIt() throws {
        let networks = PodNetworks()
        func pod(_ name: String, ip: String? = nil) -> JSON {
            var pod: JSON = [
                "metadata": ["name": .string(name), "namespace": "default"], "spec": ["nodeName": "sim-0"],
            ]
            if let ip { pod["status"]["podIP"] = .string(ip) }
            return pod
        }
        #expect(networks.address(for: pod("a"), on: "sim-0") == nil, "no CIDR yet: the pod waits")
        // After a restart the addresses pods already report stay theirs.
        networks.record(pod("old", ip: "10.42.3.2"))
        #expect(networks.setNetwork(try #require(IPv4Network("10.42.3.0/24")), of: "sim-0") == ["default/a"])
        #expect(networks.address(for: pod("a"), on: "sim-0") == "10.42.3.3")
        #expect(networks.address(for: pod("a"), on: "sim-0") == "10.42.3.3", "stable for the same pod")
        #expect(networks.address(for: pod("b"), on: "sim-0") == "10.42.3.4")
        networks.forget(pod("old"))
        #expect(networks.address(for: pod("c"), on: "sim-0") == "10.42.3.2", "a deleted pod's address is free again")
    }
}
