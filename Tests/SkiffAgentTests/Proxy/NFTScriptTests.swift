import SkiffModel
import Testing

@testable import SkiffAgent

@Suite struct NFTScriptTests {
    typealias F = ProxyFixtures

    static func lines(_ script: String?) -> [String] {
        (script ?? "").split(separator: "\n").map(String.init)
    }

    /// 100 Services with two endpoints each, then the same with `change` applied to the slices.
    static func hundredServices(changing change: (inout [JSON]) -> Void) -> (old: NFTRuleset, new: NFTRuleset) {
        let (services, slices) = F.manyServices(100)
        var changed = slices
        change(&changed)
        return (
            NFTRuleset(state: F.state(services: services, slices: slices)),
            NFTRuleset(state: F.state(services: services, slices: changed))
        )
    }

    @Test func noChangeGivesNoScript() {
        let (services, slices) = F.manyServices(10)
        let ruleset = NFTRuleset(state: F.state(services: services, slices: slices))
        #expect(NFTRuleset.updateScript(from: ruleset, to: ruleset) == nil)
    }

    @Test func addingOneEndpointAmongAHundredServicesIsAFewLines() throws {
        let (old, new) = Self.hundredServices { slices in
            slices[42]["endpoints"].append(F.endpoint("10.42.9.9"))
        }
        let full = Self.lines(NFTRuleset.fullScript(new))
        let update = Self.lines(NFTRuleset.updateScript(from: old, to: new))
        #expect(full.count > 1_000)
        #expect(update.count <= 8, "\(update.joined(separator: "\n"))")
        let declaration = try #require(update.firstIndex { $0.hasPrefix("add chain ip skiff-proxy endpoint-") })
        #expect(update[declaration].hasSuffix("default/svc-42/tcp/http__10.42.9.9/8080"))
        let flush = try #require(update.firstIndex { $0.hasPrefix("flush chain ip skiff-proxy service-") })
        #expect(update[flush].hasSuffix("-default/svc-42/tcp/http"))
        #expect(declaration < flush)
        #expect(update.contains { $0.contains("numgen random mod 3 vmap") })
        #expect(update.contains { $0.hasSuffix("meta l4proto tcp dnat to 10.42.9.9:8080") })
        #expect(!update.contains { $0.contains("element") || $0.contains("table") })
    }

    @Test func removingOneEndpointFlushesBeforeDeleting() throws {
        let (old, new) = Self.hundredServices { slices in
            slices[7]["endpoints"] = [slices[7]["endpoints"][0]]
        }
        let update = Self.lines(NFTRuleset.updateScript(from: old, to: new))
        #expect(update.count <= 6, "\(update.joined(separator: "\n"))")
        let refill = try #require(update.firstIndex { $0.hasPrefix("flush chain ip skiff-proxy service-") })
        let delete = try #require(update.firstIndex { $0.hasPrefix("delete chain ip skiff-proxy endpoint-") })
        #expect(update[delete].hasSuffix("default/svc-7/tcp/http__10.42.2.8/8080"))
        #expect(refill < delete)
        #expect(update[refill + 2].hasPrefix("add rule") && update[refill + 2].contains(" goto endpoint-"))
    }

    @Test func lastEndpointGoneSwapsMapElementsBeforeDeletingChains() throws {
        let (old, new) = Self.hundredServices { slices in
            slices[3]["endpoints"] = []
        }
        let update = Self.lines(NFTRuleset.updateScript(from: old, to: new))
        let unroute = try #require(
            update.firstIndex { $0 == "delete element ip skiff-proxy service-ips { 10.43.1.4 . tcp . 80 }" })
        let reject = try #require(
            update.firstIndex {
                $0 == "add element ip skiff-proxy no-endpoint-services { 10.43.1.4 . tcp . 80 : goto reject-chain }"
            })
        let deletes = update.indices.filter { update[$0].hasPrefix("delete chain") }
        #expect(deletes.count == 3)  // the service chain and two endpoint chains
        #expect(deletes.allSatisfy { $0 > unroute && $0 > reject })
        // Every chain is emptied before any is deleted: they refer to each other.
        let flushes = update.indices.filter { update[$0].hasPrefix("flush chain") }
        #expect(flushes.count == 3 && flushes.max()! < deletes.min()!)
        #expect(!update.contains { $0.hasPrefix("add rule") })
    }

    @Test func newServiceDeclaresChainsBeforeElementsReferToThem() throws {
        let (services, slices) = F.manyServices(3)
        let old = NFTRuleset(state: F.state(services: services, slices: slices))
        let new = NFTRuleset(
            state: F.state(
                services: services + [
                    F.service("added", type: "NodePort", clusterIP: "10.43.9.9", ports: [F.port(80, nodePort: 31000)])
                ],
                slices: slices + [
                    F.slice("added-1", service: "added", ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.5.5")])
                ]))
        let update = Self.lines(NFTRuleset.updateScript(from: old, to: new))
        let chains = update.indices.filter { update[$0].hasPrefix("add chain") }
        let elements = update.indices.filter { update[$0].hasPrefix("add element") }
        #expect(chains.count == 3)  // service, external, endpoint
        #expect(elements.count == 2)
        #expect(chains.max()! < elements.min()!)
        #expect(!update.contains { $0.hasPrefix("flush") || $0.hasPrefix("delete") })
    }

    @Test func affinityTimeoutChangeReplacesTheSets() throws {
        func ruleset(_ timeout: Int) -> NFTRuleset {
            NFTRuleset(
                state: F.state(
                    services: [
                        F.service("web", clusterIP: "10.43.0.20", ports: [F.port(80)], affinityTimeout: .some(timeout))
                    ],
                    slices: [
                        F.slice("web-1", service: "web", ports: [F.slicePort(80)], endpoints: [F.endpoint("10.42.0.5")])
                    ]))
        }
        let update = Self.lines(NFTRuleset.updateScript(from: ruleset(60), to: ruleset(120)))
        let addSet = try #require(update.firstIndex { $0.hasPrefix("add set") })
        let firstRule = try #require(update.firstIndex { $0.hasPrefix("add rule") })
        let deleteSet = try #require(update.firstIndex { $0.hasPrefix("delete set") })
        #expect(update[addSet].hasSuffix("timeout 120s; }"))
        #expect(addSet < firstRule && deleteSet == update.count - 1)
        #expect(update.filter { $0.hasPrefix("flush chain") }.count == 2)  // service and endpoint chains
    }

    @Test func skeletonChangeFallsBackToTheFullScript() {
        var changed = NFTRuleset(state: F.state(services: [], slices: []))
        let old = changed
        changed.baseChains["filter-input"]?.priority = "0"
        let update = NFTRuleset.updateScript(from: old, to: changed)
        #expect(update == NFTRuleset.fullScript(changed))
    }

    @Test func uninstallDeletesTheTableWhetherOrNotItExists() {
        #expect(NFTRuleset.uninstallScript == "add table ip skiff-proxy\ndelete table ip skiff-proxy\n")
    }

    @Test func serviceWithAThousandPortsRendersInProportion() {
        let ports = (0..<1_000).map { F.port("p\($0)", 1_000 + $0, nodePort: 30_000 + $0) }
        let slicePorts = (0..<1_000).map { F.slicePort("p\($0)", 2_000 + $0) }
        let state = F.state(
            services: [F.service("wide", type: "NodePort", clusterIP: "10.43.0.50", ports: ports)],
            slices: [
                F.slice(
                    "wide-1", service: "wide", ports: slicePorts,
                    endpoints: [F.endpoint("10.42.0.5"), F.endpoint("10.42.0.6")])
            ])
        let script = NFTRuleset.fullScript(NFTRuleset(state: state))
        let lines = Self.lines(script)
        // Per port: 4 chains (service, external, 2 endpoints), 8 rules, 2 elements.
        #expect(lines.count > 14_000 && lines.count < 14_100)
        #expect(script.utf8.count < 3_000_000)
    }

    @Test func serviceWithFiveThousandEndpointsRendersInProportion() {
        let endpoints = (0..<5_000).map { F.endpoint("10.42.\($0 / 250).\(1 + $0 % 250)") }
        let state = F.state(
            services: [F.service("big", clusterIP: "10.43.0.51", ports: [F.port(80)])],
            slices: [F.slice("big-1", service: "big", ports: [F.slicePort(80)], endpoints: endpoints)])
        let ruleset = NFTRuleset(state: state)
        let script = NFTRuleset.fullScript(ruleset)
        let lines = Self.lines(script)
        // Per endpoint: a chain and two rules; one numgen rule lists them all.
        #expect(lines.count > 15_000 && lines.count < 15_100)
        #expect(script.utf8.count < 3_000_000)
        let numgen = lines.first { $0.contains("numgen random mod 5000 vmap") }
        #expect(numgen?.contains("4999 : goto endpoint-") == true)
    }
}
