import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct NodeObjectTests {
    static let machine = MachineInfo(
        cpus: 2, memoryBytes: 4 * 1024 * 1024 * 1024, storageBytes: 100 * 1024 * 1024 * 1024, kernelVersion: "6.1.0",
        osImage: "Debian GNU/Linux 12 (bookworm)", architecture: "amd64", machineID: "m", bootID: "b")
    static let description = NodeDescription(
        name: "edge-1", labels: ["node-role.kubernetes.io/control-plane": "true", "zone": "shop"],
        taints: [NodeTaint(parsing: "dedicated=edge:NoSchedule")!], internalIP: "10.0.0.5", machine: machine,
        containerRuntimeVersion: "containerd://1.6.20~ds1", kubeletVersion: "v1.32.4+skiff")

    @Test func registersWellKnownLabelsTaintsAndAFullStatus() {
        let node = NodeObject.node(Self.description, health: NodeHealth(), now: "2026-12-05T10:00:00Z")
        #expect(node["metadata"]["labels"]["kubernetes.io/hostname"] == "edge-1")
        #expect(node["metadata"]["labels"]["kubernetes.io/arch"] == "amd64")
        #expect(node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == "true")
        #expect(node["metadata"]["labels"]["zone"] == "shop")
        #expect(node["spec"]["taints"][0] == ["key": "dedicated", "value": "edge", "effect": "NoSchedule"])
        let status = node["status"]
        #expect(status["capacity"]["cpu"] == "2")
        #expect(status["capacity"]["memory"] == "4194304Ki")
        #expect(status["allocatable"]["memory"] == "4091904Ki")  // 100Mi held back, as kubelet's eviction threshold
        #expect(status["nodeInfo"]["containerRuntimeVersion"] == "containerd://1.6.20~ds1")
        #expect(status["nodeInfo"]["osImage"] == "Debian GNU/Linux 12 (bookworm)")
        #expect(status["addresses"][0] == ["type": "InternalIP", "address": "10.0.0.5"])
        let types = status["conditions"].arrayValue?.compactMap { $0["type"].stringValue }
        #expect(types == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
        #expect(status["conditions"][3]["status"] == "True")
    }

    @Test func notReadyRuntimeMakesTheNodeNotReadyWithTheReason() {
        let health = NodeHealth(notReadyMessage: "container runtime network not ready: NetworkReady=false")
        let status = NodeObject.status(Self.description, health: health, now: "2026-12-05T10:00:00Z", previous: nil)
        #expect(status["conditions"][3]["status"] == "False")
        #expect(status["conditions"][3]["reason"] == "KubeletNotReady")
        #expect(status["conditions"][3]["message"] == "container runtime network not ready: NetworkReady=false")
    }

    @Test func aStatusMarkedUnknownByTheServerDiffersAndHeartbeatTimesDoNot() {
        let first = NodeObject.status(
            Self.description, health: NodeHealth(), now: "2026-12-05T10:00:00Z", previous: nil)
        let later = NodeObject.status(
            Self.description, health: NodeHealth(), now: "2026-12-05T10:05:00Z", previous: first)
        #expect(!NodeObject.differs(server: first, computed: later))
        // Transition times survive an unchanged status.
        #expect(later["conditions"][3]["lastTransitionTime"] == "2026-12-05T10:00:00Z")
        #expect(later["conditions"][3]["lastHeartbeatTime"] == "2026-12-05T10:05:00Z")
        var unknown = first
        var conditions = first["conditions"].arrayValue ?? []
        conditions[3]["status"] = "Unknown"
        conditions[3]["reason"] = "NodeStatusUnknown"
        unknown["conditions"] = .array(conditions)
        #expect(NodeObject.differs(server: unknown, computed: later))
        let recovered = NodeObject.status(
            Self.description, health: NodeHealth(), now: "2026-12-05T10:06:00Z", previous: unknown)
        #expect(recovered["conditions"][3]["lastTransitionTime"] == "2026-12-05T10:06:00Z")
    }

    @Test func taintsParseAsTheFlagWritesThem() {
        #expect(NodeTaint(parsing: "gpu:NoExecute") == NodeTaint(parsing: "gpu=:NoExecute"))
        #expect(NodeTaint(parsing: "gpu:NoExecute")?.key == "gpu")
        #expect(NodeTaint(parsing: "gpu=yes") == nil)
        #expect(NodeTaint(parsing: "gpu=yes:Sometimes") == nil)
    }

    @Test func machineFactsParseAsTheKernelWritesThem() {
        let memory = MemoryInfo(
            parsing: "MemTotal:       24554160 kB\nMemFree:        1000 kB\nMemAvailable:   2048 kB\n")
        #expect(memory.total == 24_554_160 * 1024)
        #expect(memory.available == 2048 * 1024)
        #expect(
            MachineInfo.osImage(osRelease: "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")
                == "Debian GNU/Linux 12 (bookworm)")
        #expect(MachineInfo.goArchitecture("aarch64") == "arm64")
    }
}
