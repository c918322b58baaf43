import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct NFTRulesetTests {
    typealias F = ProxyFixtures

    static let web = F.service("web", clusterIP: "10.43.0.20", ports: [F.port("http", 80, targetPort: 8080)])

    static func webSlice(_ addresses: String...) -> JSON {
        F.slice(
            "web-1", service: "web", ports: [F.slicePort("http", 8080)],
            endpoints: addresses.map { F.endpoint($0) })
    }

    static func ruleset(_ services: [JSON], _ slices: [JSON], serviceCIDR: IPv4Network? = nil) -> NFTRuleset {
        NFTRuleset(state: F.state(services: services, slices: slices, serviceCIDR: serviceCIDR))
    }

    /// Every element of every map, as `map: key : verdict`.
    static func elements(_ ruleset: NFTRuleset) -> [String] {
        ruleset.maps.sorted { $0.key < $1.key }.flatMap { name, map in
            map.elements.sorted { $0.key < $1.key }.map { "\(name): \($0.key) : \($0.value)" }
        }
    }

    @Test func smallServiceRendersConcreteScript() throws {
        let script = NFTRuleset.fullScript(Self.ruleset([Self.web], [Self.webSlice("10.42.0.5")]))
        let lines = script.split(separator: "\n").map(String.init)
        #expect(
            lines.prefix(3) == ["add table ip skiff-proxy", "delete table ip skiff-proxy", "add table ip skiff-proxy"])
        let service = "service-7UCITOBJ-default/web/tcp/http"
        let endpoint = "endpoint-FUBJETXL-default/web/tcp/http__10.42.0.5/8080"
        let expected = [
            "add map ip skiff-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }",
            "add map ip skiff-proxy service-nodeports { type inet_proto . inet_service : verdict; }",
            "add chain ip skiff-proxy nat-prerouting { type nat hook prerouting priority dstnat; policy accept; }",
            "add chain ip skiff-proxy nat-output { type nat hook output priority -100; policy accept; }",
            "add chain ip skiff-proxy nat-postrouting { type nat hook postrouting priority srcnat; policy accept; }",
            "add chain ip skiff-proxy filter-input { type filter hook input priority -10; policy accept; }",
            "add chain ip skiff-proxy \(service)",
            "add chain ip skiff-proxy \(endpoint)",
            "add rule ip skiff-proxy nat-prerouting jump services",
            "add rule ip skiff-proxy services ip daddr . meta l4proto . th dport vmap @service-ips",
            "add rule ip skiff-proxy services fib daddr type local ip daddr != 127.0.0.0/8 "
                + "meta l4proto . th dport vmap @service-nodeports",
            "add rule ip skiff-proxy \(service) ip saddr != 10.42.0.0/16 jump mark-for-masquerade",
            "add rule ip skiff-proxy \(service) goto \(endpoint)",
            "add rule ip skiff-proxy \(endpoint) ip saddr 10.42.0.5 jump mark-for-masquerade",
            "add rule ip skiff-proxy \(endpoint) meta l4proto tcp dnat to 10.42.0.5:8080",
            "add rule ip skiff-proxy mark-for-masquerade meta mark set meta mark | 0x4000",
            "add rule ip skiff-proxy masquerading meta mark & 0x4000 == 0 return",
            "add rule ip skiff-proxy masquerading masquerade fully-random",
            "add rule ip skiff-proxy filter-input ct state new jump service-endpoints-check",
            "add rule ip skiff-proxy service-endpoints-check "
                + "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
            "add rule ip skiff-proxy reject-chain meta l4proto tcp reject with tcp reset",
            "add rule ip skiff-proxy reject-chain reject",
            "add element ip skiff-proxy service-ips { 10.43.0.20 . tcp . 80 : goto \(service) }",
        ]
        for line in expected { #expect(lines.contains(line), "missing: \(line)") }
        // Declarations before rules before elements, so every reference resolves within the transaction.
        let lastChain = try #require(lines.lastIndex { $0.hasPrefix("add chain") })
        let firstRule = try #require(lines.firstIndex { $0.hasPrefix("add rule") })
        let lastRule = try #require(lines.lastIndex { $0.hasPrefix("add rule") })
        let firstElement = try #require(lines.firstIndex { $0.hasPrefix("add element") })
        #expect(lastChain < firstRule && lastRule < firstElement)
        #expect(lines.filter { $0.hasPrefix("add element") }.count == 1)
    }

    @Test func severalEndpointsAreChosenAtRandom() throws {
        let ruleset = Self.ruleset([Self.web], [Self.webSlice("10.42.0.6", "10.42.0.5", "10.42.1.5")])
        let service = try #require(ruleset.chains["service-7UCITOBJ-default/web/tcp/http"])
        let endpoints = ruleset.chains.keys.filter { $0.hasPrefix("endpoint-") }
        #expect(endpoints.count == 3)
        let dispatch = try #require(service.last)
        #expect(dispatch.hasPrefix("numgen random mod 3 vmap { 0 : goto endpoint-"))
        #expect(dispatch.contains("__10.42.0.5/8080, 1 : goto endpoint-"))
        #expect(dispatch.contains("__10.42.0.6/8080, 2 : goto endpoint-"))
        #expect(dispatch.hasSuffix("__10.42.1.5/8080 }"))
        for name in endpoints { #expect(dispatch.contains(name)) }
    }

    @Test func sessionAffinityUsesAnUpdatedSetPerEndpoint() throws {
        let service = F.service(
            "web", clusterIP: "10.43.0.20", ports: [F.port("http", 80)], affinityTimeout: .some(600))
        let ruleset = Self.ruleset([service], [Self.webSlice("10.42.0.5", "10.42.0.6")])
        #expect(ruleset.sets.count == 2)
        for (name, set) in ruleset.sets {
            #expect(name.hasPrefix("affinity-"))
            #expect(set == .init(type: "ipv4_addr", flags: ["dynamic", "timeout"], timeout: 600))
        }
        let serviceChain = try #require(ruleset.chains["service-7UCITOBJ-default/web/tcp/http"])
        #expect(serviceChain.count == 4)
        #expect(serviceChain[1].hasPrefix("ip saddr @affinity-") && serviceChain[1].contains(" goto endpoint-"))
        #expect(serviceChain[2].hasPrefix("ip saddr @affinity-"))
        #expect(serviceChain[3].hasPrefix("numgen random mod 2"))
        for (name, rules) in ruleset.chains where name.hasPrefix("endpoint-") {
            #expect(rules.count == 3)
            #expect(rules[1].hasPrefix("update @affinity-") && rules[1].hasSuffix(" { ip saddr }"))
        }
        let script = NFTRuleset.fullScript(ruleset)
        #expect(script.contains("{ type ipv4_addr; flags dynamic,timeout; timeout 600s; }"))
    }

    @Test func portWithoutEndpointsIsRejectedNotRouted() {
        let service = F.service(
            "web", type: "NodePort", clusterIP: "10.43.0.20", ports: [F.port("http", 80, nodePort: 30080)])
        let ruleset = Self.ruleset([service], [Self.webSlice()])
        #expect(
            Self.elements(ruleset) == [
                "no-endpoint-nodeports: tcp . 30080 : goto reject-chain",
                "no-endpoint-services: 10.43.0.20 . tcp . 80 : goto reject-chain",
            ])
        #expect(!ruleset.chains.keys.contains { $0.contains("default/web") })
    }

    @Test func clusterPolicyNodePortMarksThenGoesToTheServiceChain() throws {
        let service = F.service(
            "web", type: "NodePort", clusterIP: "10.43.0.20", ports: [F.port("http", 80, nodePort: 30080)])
        let ruleset = Self.ruleset([service], [Self.webSlice("10.42.1.5")])
        let external = "external-7UCITOBJ-default/web/tcp/http"
        #expect(ruleset.maps["service-nodeports"]?.elements == ["tcp . 30080": "goto \(external)"])
        #expect(ruleset.chains[external] == ["jump mark-for-masquerade", "goto service-7UCITOBJ-default/web/tcp/http"])
    }

    @Test func localPolicyNodePortGoesToLocalEndpointsOnly() throws {
        let service = F.service(
            "web", type: "NodePort", clusterIP: "10.43.0.20", ports: [F.port("http", 80, nodePort: 30080)],
            externalTrafficPolicy: "Local")
        let slice = F.slice(
            "web-1", service: "web", ports: [F.slicePort("http", 8080)],
            endpoints: [F.endpoint("10.42.0.5", node: F.node), F.endpoint("10.42.1.5", node: "n2")])
        let ruleset = Self.ruleset([service], [slice])
        let external = try #require(ruleset.chains["external-7UCITOBJ-default/web/tcp/http"])
        #expect(
            external == [
                "ip saddr 10.42.0.0/16 goto service-7UCITOBJ-default/web/tcp/http",
                "fib saddr type local jump mark-for-masquerade",
                "fib saddr type local goto service-7UCITOBJ-default/web/tcp/http",
                "goto local-7UCITOBJ-default/web/tcp/http",
            ])
        let local = try #require(ruleset.chains["local-7UCITOBJ-default/web/tcp/http"])
        #expect(local.count == 1)
        #expect(local[0].hasPrefix("goto endpoint-") && local[0].hasSuffix("__10.42.0.5/8080"))
        #expect(!local.joined().contains("mark-for-masquerade"))
        #expect(ruleset.maps["no-endpoint-nodeports"]?.elements == [:])
    }

    @Test func localPolicyWithoutLocalEndpointsDropsExternalTraffic() {
        let service = F.service(
            "web", type: "NodePort", clusterIP: "10.43.0.20", ports: [F.port("http", 80, nodePort: 30080)],
            externalTrafficPolicy: "Local")
        let ruleset = Self.ruleset([service], [Self.webSlice("10.42.1.5")])
        #expect(ruleset.maps["no-endpoint-nodeports"]?.elements == ["tcp . 30080": "drop"])
        #expect(ruleset.chains["external-7UCITOBJ-default/web/tcp/http"]?.count == 3)
        #expect(ruleset.chains["local-7UCITOBJ-default/web/tcp/http"] == nil)
        // Cluster traffic still works.
        #expect(ruleset.maps["service-ips"]?.elements.count == 1)
    }

    @Test func loadBalancerExposesItsPortOnTheNodeAndNodePortsWinConflicts() {
        let services = [
            F.service("a-lb", type: "LoadBalancer", clusterIP: "10.43.0.30", ports: [F.port(30080, nodePort: 30001)]),
            F.service("b-lb", type: "LoadBalancer", clusterIP: "10.43.0.31", ports: [F.port(443, nodePort: 30443)]),
            F.service("c-np", type: "NodePort", clusterIP: "10.43.0.32", ports: [F.port(80, nodePort: 30080)]),
            F.service("d-lb", type: "LoadBalancer", clusterIP: "10.43.0.33", ports: [F.port(443, nodePort: 30444)]),
        ]
        let slices = ["a-lb", "b-lb", "c-np", "d-lb"].map {
            F.slice("\($0)-1", service: $0, ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.1.5")])
        }
        let nodePorts = Self.ruleset(services, slices).maps["service-nodeports"]?.elements ?? [:]
        #expect(
            nodePorts.keys.sorted() == ["tcp . 30001", "tcp . 30080", "tcp . 30443", "tcp . 30444", "tcp . 443"])
        #expect(nodePorts["tcp . 30080"]?.contains("default/c-np/") == true)  // the node port, not a-lb's port
        #expect(nodePorts["tcp . 443"]?.contains("default/b-lb/") == true)  // first LoadBalancer in order
    }

    @Test func clusterDNSServiceGetsNoRules() {
        let dns = F.service(
            "kube-dns", namespace: "kube-system", clusterIP: F.clusterDNS,
            ports: [F.port("dns", 53, protocol: "UDP"), F.port("dns-tcp", 53)])
        let withDNS = Self.ruleset([dns], [], serviceCIDR: F.serviceCIDR)
        let without = Self.ruleset([], [], serviceCIDR: F.serviceCIDR)
        #expect(withDNS == without)
        #expect(Self.elements(withDNS).isEmpty)
        // The only mention of the address lets it through the service-range check.
        let mentions = NFTRuleset.fullScript(withDNS).split(separator: "\n").filter { $0.contains(F.clusterDNS) }
        #expect(mentions == ["add rule ip skiff-proxy cluster-ips-check ip daddr 10.43.0.10 return"])
    }

    @Test func serviceRangeCheckOnlyWithAServiceCIDR() {
        let without = Self.ruleset([Self.web], [])
        #expect(without.chains["cluster-ips-check"] == nil)
        #expect(without.chains["filter-forward"] == ["ct state new jump service-endpoints-check"])
        let with = Self.ruleset([Self.web], [], serviceCIDR: F.serviceCIDR)
        #expect(
            with.chains["cluster-ips-check"] == [
                "ip daddr 10.43.0.10 return", "ip daddr 10.43.0.0/16 goto reject-chain",
            ])
        #expect(with.chains["filter-output"]?.last == "ct state new jump cluster-ips-check")
    }

    @Test func chainNamesAreValidIdentifiersAndShort() {
        let long = String(repeating: "a", count: 63)
        let service = F.service(
            long, namespace: long, clusterIP: "10.43.0.20", ports: [F.port(String(repeating: "p", count: 15), 80)],
            affinityTimeout: .some(nil))
        let slice = F.slice(
            "s", service: long, namespace: long, ports: [F.slicePort(String(repeating: "p", count: 15), 65_535)],
            endpoints: [F.endpoint("255.255.255.255")])
        let ruleset = Self.ruleset([service], [slice])
        let names = Array(ruleset.chains.keys) + Array(ruleset.sets.keys)
        #expect(names.count > 10)
        for name in names {
            #expect(name.utf8.count <= 120, "\(name)")
            #expect(name.first?.isLetter == true)
            #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }, "\(name)")
        }
        #expect(ProxyChainNames.sanitized("ns/a b:c") == "ns/a_b_c")
        #expect(ProxyChainNames.hash("x") != ProxyChainNames.hash("y"))
        #expect(ProxyChainNames.hash("x").count == 8)
    }
}
