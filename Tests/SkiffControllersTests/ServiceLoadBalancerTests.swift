import SkiffModel
import Testing

@testable import SkiffControllers

/// ServiceLB's ingress: the Ready nodes' addresses (ExternalIP first), written only when it differs.
@Suite struct ServiceLoadBalancerTests {
    static func node(_ name: String, internalIP: String, externalIP: String? = nil, ready: String = "True") -> JSON {
        var addresses: [JSON] = [["type": "InternalIP", "address": .string(internalIP)]]
        if let externalIP { addresses.append(["type": "ExternalIP", "address": .string(externalIP)]) }
        return [
            "metadata": ["name": .string(name)],
            "status": [
                "addresses": .array(addresses), "conditions": [["type": "Ready", "status": .string(ready)]],
            ],
        ]
    }

    static func service(type: String, ingress: [String] = [], loadBalancerClass: String? = nil) -> JSON {
        var service: JSON = ["metadata": ["name": "web", "namespace": "default"], "spec": ["type": .string(type)]]
        if let loadBalancerClass { service["spec"]["loadBalancerClass"] = .string(loadBalancerClass) }
        if !ingress.isEmpty {
            service["status"] = ["loadBalancer": ["ingress": .array(ingress.map { ["ip": .string($0)] })]]
        }
        return service
    }

    let nodes = [
        node("b", internalIP: "10.0.0.2"), node("a", internalIP: "10.0.0.1", externalIP: "203.0.113.1"),
        node("down", internalIP: "10.0.0.9", ready: "Unknown"),
    ]

    @Test func ingressIsTheReadyNodesAddressesExternalFirst() {
        #expect(ServiceLoadBalancerController.ingress(nodes: nodes) == ["10.0.0.2", "203.0.113.1"])
    }

    @Test func writesOnlyWhatDiffers() throws {
        let updated = try #require(
            ServiceLoadBalancerController.updated(Self.service(type: "LoadBalancer"), nodes: nodes))
        #expect(updated["status"]["loadBalancer"]["ingress"] == [["ip": "10.0.0.2"], ["ip": "203.0.113.1"]])
        #expect(ServiceLoadBalancerController.updated(updated, nodes: nodes) == nil)
        // A node that goes NotReady leaves the ingress.
        let fewer = [Self.node("b", internalIP: "10.0.0.2")]
        #expect(
            ServiceLoadBalancerController.updated(updated, nodes: fewer)?["status"]["loadBalancer"]["ingress"]
                == [["ip": "10.0.0.2"]])
    }

    @Test func leavesOtherImplementationsAndClearsFormerLoadBalancers() throws {
        #expect(ServiceLoadBalancerController.updated(Self.service(type: "ClusterIP"), nodes: nodes) == nil)
        #expect(
            ServiceLoadBalancerController.updated(
                Self.service(type: "LoadBalancer", loadBalancerClass: "example.com/lb"), nodes: nodes) == nil)
        let former = try #require(
            ServiceLoadBalancerController.updated(Self.service(type: "ClusterIP", ingress: ["10.0.0.1"]), nodes: nodes))
        #expect(former["status"]["loadBalancer"] == [:])
    }
}
