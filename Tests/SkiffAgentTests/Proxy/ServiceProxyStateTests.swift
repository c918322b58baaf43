import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct ServiceProxyStateTests {
    typealias F = ProxyFixtures

    @Test func clusterIPPortWithReadyEndpoints() throws {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80, targetPort: 8080)])],
            slices: [
                F.slice(
                    "web-1", service: "web", ports: [F.slicePort(8080)],
                    endpoints: [F.endpoint("10.42.1.6"), F.endpoint("10.42.0.5", node: "n1")])
            ])
        let port = try #require(state.ports.first)
        #expect(state.ports.count == 1)
        #expect(port.id == "default/web/tcp/")
        #expect(port.clusterIP == "10.43.0.20")
        #expect(port.port == 80)
        #expect(port.transport == .tcp)
        #expect(port.nodePort == nil)
        #expect(port.affinityTimeout == nil)
        // Sorted by address; the DNAT port is the slice's.
        #expect(port.clusterEndpoints.map(\.description) == ["10.42.0.5:8080", "10.42.1.6:8080"])
        #expect(port.localEndpoints.map(\.description) == ["10.42.0.5:8080"])
    }

    @Test func portsMatchSlicePortsByNameAndProtocol() throws {
        let state = F.state(
            services: [
                F.service(
                    "app", clusterIP: "10.43.0.21",
                    ports: [F.port("http", 80), F.port("metrics", 9090), F.port("dns", 53, protocol: "UDP")])
            ],
            slices: [
                F.slice(
                    "app-1", service: "app",
                    ports: [F.slicePort("metrics", 9100), F.slicePort("http", 8080), F.slicePort("dns", 5353)],
                    endpoints: [F.endpoint("10.42.0.7")])
            ])
        #expect(state.ports.map(\.id) == ["default/app/tcp/http", "default/app/tcp/metrics", "default/app/udp/dns"])
        #expect(state.ports[0].clusterEndpoints.map(\.description) == ["10.42.0.7:8080"])
        #expect(state.ports[1].clusterEndpoints.map(\.description) == ["10.42.0.7:9100"])
        // The slice's `dns` port is TCP, the Service's UDP: no match.
        #expect(state.ports[2].clusterEndpoints.isEmpty)
    }

    @Test func unnamedPortMatchesOnlyUnnamedSlicePort() {
        let state = F.state(
            services: [F.service("one", clusterIP: "10.43.0.22", ports: [F.port(80)])],
            slices: [
                F.slice(
                    "one-1", service: "one", ports: [F.slicePort("http", 8080)], endpoints: [F.endpoint("10.42.0.8")]),
                F.slice("one-2", service: "one", ports: [F.slicePort(8081)], endpoints: [F.endpoint("10.42.0.9")]),
            ])
        #expect(state.ports.first?.clusterEndpoints.map(\.description) == ["10.42.0.9:8081"])
    }

    @Test func notReadyEndpointsAreExcluded() {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)])],
            slices: [
                F.slice(
                    "web-1", service: "web", ports: [F.slicePort(80)],
                    endpoints: [
                        F.endpoint("10.42.0.5", ready: true), F.endpoint("10.42.0.6", ready: false),
                        F.endpoint("10.42.0.7", ready: false, serving: true, terminating: true),
                    ])
            ])
        // A terminating endpoint is only a fallback: one is ready, so only that one.
        #expect(state.ports.first?.clusterEndpoints.map(\.description) == ["10.42.0.5:80"])
    }

    @Test func servingTerminatingEndpointsAreTheFallback() {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)])],
            slices: [
                F.slice(
                    "web-1", service: "web", ports: [F.slicePort(80)],
                    endpoints: [
                        F.endpoint("10.42.0.6", ready: false),
                        F.endpoint("10.42.0.7", ready: false, serving: true, terminating: true),
                        F.endpoint("10.42.0.8", ready: false, serving: false, terminating: true),
                    ])
            ])
        #expect(state.ports.first?.clusterEndpoints.map(\.description) == ["10.42.0.7:80"])
    }

    @Test func noEndpointsLeavesThePortWithNone() {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)])],
            slices: [
                F.slice(
                    "web-1", service: "web", ports: [F.slicePort(80)],
                    endpoints: [F.endpoint("10.42.0.6", ready: false)])
            ])
        #expect(state.ports.count == 1)
        #expect(state.ports.first?.clusterEndpoints == [])
    }

    @Test func dnsHeadlessExternalNameAndIPv6AreSkipped() {
        let state = F.state(
            services: [
                F.service("kube-dns", namespace: "kube-system", clusterIP: F.clusterDNS, ports: [F.port("dns", 53)]),
                F.service("headless", clusterIP: "None", ports: [F.port(80)]),
                F.service("external", type: "ExternalName", clusterIP: "", ports: [F.port(80)]),
                F.service("v6", clusterIP: "fd00::10", ports: [F.port(80)]),
                F.service("kept", clusterIP: "10.43.0.30", ports: [F.port(80)]),
            ],
            slices: [
                F.slice(
                    "kube-dns-1", service: "kube-dns", namespace: "kube-system", ports: [F.slicePort("dns", 53)],
                    endpoints: [F.endpoint("10.42.0.2")])
            ])
        #expect(state.ports.map(\.service) == ["kept"])
    }

    @Test func slicesOfOtherServicesNamespacesAndFamiliesAreIgnored() {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)])],
            slices: [
                F.slice("a", service: "other", ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.0.1")]),
                F.slice(
                    "b", service: "web", namespace: "prod", ports: [F.slicePort(80)],
                    endpoints: [F.endpoint("10.42.0.2")]),
                F.slice(
                    "c", service: "web", addressType: "IPv6", ports: [F.slicePort(80)],
                    endpoints: [F.endpoint("fd00::1")]),
                F.slice("d", service: "web", ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.0.4")]),
                F.slice("e", service: "web", ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.0.4")]),
            ])
        #expect(state.ports.first?.clusterEndpoints.map(\.description) == ["10.42.0.4:80"])
    }

    @Test func nodePortLoadBalancerAndLocalPolicy() throws {
        let state = F.state(
            services: [
                F.service(
                    "lb", type: "LoadBalancer", clusterIP: "10.43.0.40", ports: [F.port(443, nodePort: 30443)],
                    externalTrafficPolicy: "Local"),
                F.service("np", type: "NodePort", clusterIP: "10.43.0.41", ports: [F.port(80, nodePort: 30080)]),
                F.service(
                    "cip", clusterIP: "10.43.0.42", ports: [F.port(80, nodePort: 30081)], externalTrafficPolicy: "Local"
                ),
            ],
            slices: [
                F.slice(
                    "lb-1", service: "lb", ports: [F.slicePort(8443)],
                    endpoints: [
                        F.endpoint("10.42.0.5", node: "n1"), F.endpoint("10.42.1.5", node: "n2"),
                        F.endpoint("10.42.0.6", node: "n1", ready: false),
                    ])
            ])
        let lb = try #require(state.ports.first { $0.service == "lb" })
        #expect(lb.nodePort == 30443)
        #expect(lb.exposesPortOnNode)
        #expect(lb.externalPolicyLocal)
        #expect(lb.clusterEndpoints.map(\.description) == ["10.42.0.5:8443", "10.42.1.5:8443"])
        #expect(lb.localEndpoints.map(\.description) == ["10.42.0.5:8443"])
        let nodePort = try #require(state.ports.first { $0.service == "np" })
        #expect(nodePort.nodePort == 30080)
        #expect(!nodePort.exposesPortOnNode)
        #expect(!nodePort.externalPolicyLocal)
        // A ClusterIP Service has no node port, whatever its spec says.
        let clusterIP = try #require(state.ports.first { $0.service == "cip" })
        #expect(clusterIP.nodePort == nil)
        #expect(!clusterIP.externalPolicyLocal)
    }

    @Test func localEndpointsFallBackToLocalServingTerminating() throws {
        let state = F.state(
            services: [
                F.service(
                    "np", type: "NodePort", clusterIP: "10.43.0.41", ports: [F.port(80, nodePort: 30080)],
                    externalTrafficPolicy: "Local")
            ],
            slices: [
                F.slice(
                    "np-1", service: "np", ports: [F.slicePort(80)],
                    endpoints: [
                        F.endpoint("10.42.1.5", node: "n2"),
                        F.endpoint("10.42.0.5", node: "n1", ready: false, serving: true, terminating: true),
                    ])
            ])
        let port = try #require(state.ports.first)
        #expect(port.clusterEndpoints.map(\.description) == ["10.42.1.5:80"])
        #expect(port.localEndpoints.map(\.description) == ["10.42.0.5:80"])
    }

    @Test(arguments: [(Int??.none, Int?.none), (.some(nil), 10_800), (.some(600), 600), (.some(0), 10_800)])
    func sessionAffinityTimeout(configured: Int??, expected: Int?) {
        let state = F.state(
            services: [F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)], affinityTimeout: configured)],
            slices: [])
        #expect(state.ports.first?.affinityTimeout == expected)
    }

    @Test func equalInputsInAnyOrderGiveEqualStates() {
        let (services, slices) = F.manyServices(20, endpoints: 3)
        let forward = F.state(services: services, slices: slices)
        let backward = F.state(services: services.reversed(), slices: slices.reversed())
        #expect(forward == backward)
        #expect(forward.ports.count == 20)
    }
}
