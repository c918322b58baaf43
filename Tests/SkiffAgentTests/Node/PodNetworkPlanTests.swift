import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct PodNetworkPlanTests {
    static func node(_ name: String, cidr: String?, ip: String?) -> JSON {
        var node: JSON = ["metadata": ["name": .string(name)], "spec": .emptyObject]
        if let cidr { node["spec"]["podCIDR"] = .string(cidr) }
        if let ip {
            node["status"]["addresses"] = [
                ["type": "Hostname", "address": .string(name)], ["type": "InternalIP", "address": .string(ip)],
            ]
        }
        return node
    }

    @Test func ownCIDRAndRoutesToPeersViaTheirInternalIP() {
        let plan = PodNetworkPlan(
            node: "a",
            nodes: [
                Self.node("a", cidr: "10.42.0.0/24", ip: "192.168.1.10"),
                Self.node("b", cidr: "10.42.1.0/24", ip: "192.168.1.11"),
                Self.node("c", cidr: nil, ip: "192.168.1.12"),  // no CIDR yet: no route
                Self.node("d", cidr: "10.42.3.0/24", ip: nil),  // no address yet: no route
            ])
        #expect(plan.podCIDR == "10.42.0.0/24")
        #expect(plan.routes == [PodNetworkPlan.Route(destination: "10.42.1.0/24", gateway: "192.168.1.11")])
    }

    @Test func waitsForItsOwnCIDR() {
        let plan = PodNetworkPlan(node: "a", nodes: [Self.node("a", cidr: nil, ip: "192.168.1.10")])
        #expect(plan.podCIDR == nil)
    }

    @Test func conflistIsBridgeOnTheCIDRWithoutMasqueradeAndPortmap() {
        let list = CNIConfig.conflist(podCIDR: "10.42.7.0/24", bridge: "skiff0", ipamDirectory: "/d/ipam")
        #expect(list["plugins"][0]["type"] == "bridge")
        #expect(list["plugins"][0]["bridge"] == "skiff0")
        #expect(list["plugins"][0]["forceAddress"] == true)
        #expect(list["plugins"][0]["ipMasq"] == false)
        #expect(list["plugins"][0]["ipam"]["ranges"][0][0]["subnet"] == "10.42.7.0/24")
        #expect(list["plugins"][1]["type"] == "portmap")
        #expect(list["plugins"][1]["capabilities"]["portMappings"] == true)
    }
}
