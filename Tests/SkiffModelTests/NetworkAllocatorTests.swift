import SkiffModel
import Testing

/// CIDR math and the allocators behind Service cluster IPs, node ports and node pod CIDRs.
@Suite struct NetworkAllocatorTests {
    static let services = ResourceRegistry().lookup(group: "", version: "v1", resource: "services")!

    func service(_ name: String, type: String = "ClusterIP", clusterIP: String? = nil, nodePorts: [Int?] = [nil])
        -> JSON
    {
        var service: JSON = [
            "metadata": ["name": .string(name), "namespace": "default"], "spec": ["type": .string(type)],
        ]
        if let clusterIP { service["spec"]["clusterIP"] = .string(clusterIP) }
        service["spec"]["ports"] = .array(
            nodePorts.enumerated().map { index, nodePort in
                var port: JSON = ["port": .int(80 + index), "protocol": "TCP", "targetPort": .int(8080 + index)]
                if let nodePort { port["nodePort"] = .int(nodePort) }
                return port
            })
        return service
    }

    // MARK: IPv4Network

    @Test(arguments: [
        ("10.43.0.0/16", "10.43.0.0/16", UInt64(65536)), ("10.43.7.9/24", "10.43.7.0/24", UInt64(256)),
        ("192.168.1.1/32", "192.168.1.1/32", UInt64(1)), ("0.0.0.0/0", "0.0.0.0/0", UInt64(1) << 32),
    ])
    func parsesAndNormalizes(text: String, normalized: String, size: UInt64) throws {
        let network = try #require(IPv4Network(text))
        #expect(network.description == normalized)
        #expect(network.size == size)
    }

    @Test(arguments: [
        "10.43.0.0", "10.43.0/16", "10.43.0.0/33", "10.43.0.256/16", "a.b.c.d/8", "10.43.0.0/-1", "1.2.3.+4/8",
    ])
    func rejectsMalformed(text: String) {
        #expect(IPv4Network(text) == nil)
    }

    // MARK: RangeAllocator

    @Test func allocatesUpperBandFirstThenLowerBandThenIsFull() {
        var range = RangeAllocator(size: 8, reservedLowBand: 2)
        var handed: [Int] = []
        while let next = range.allocateNext() { handed.append(next) }
        #expect(handed == [2, 3, 4, 5, 6, 7, 0, 1])
        #expect(range.isFull && range.count == 8)
        #expect(range.allocateNext() == nil)
    }

    @Test func claimsRefuseDuplicatesAndOutOfRange() {
        var range = RangeAllocator(size: 100)
        #expect(range.claim(5) == .claimed)
        #expect(range.claim(5) == .alreadyAllocated)
        #expect(range.claim(100) == .outOfRange)
        #expect(range.claim(-1) == .outOfRange)
        range.release(5)
        #expect(range.claim(5) == .claimed)
        #expect(range.count == 1)
    }

    @Test func releasedOffsetsAreNotReusedAtOnce() {
        var range = RangeAllocator(size: 200)
        let first = range.allocateNext()
        let second = range.allocateNext()
        range.release(first!)
        #expect(range.allocateNext() == second! + 1)
        // Skips whole words of taken offsets and wraps around to the released one.
        for offset in 0..<200 where offset != first { _ = range.claim(offset) }
        #expect(range.allocateNext() == first)
    }

    // MARK: ServiceAllocator

    @Test func dynamicClusterIPsComeFromTheServiceCIDRAboveTheStaticBand() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var web = service("web")
        let change = try allocator.admit(&web, old: nil, type: Self.services)
        #expect(web["spec"]["clusterIP"] == "10.43.1.1")
        #expect(web["spec"]["clusterIPs"] == ["10.43.1.1"])
        #expect(web["spec"]["ipFamilies"] == ["IPv4"] && web["spec"]["ipFamilyPolicy"] == "SingleStack")
        #expect(change.claimed.clusterIP == IPv4Network.parseAddress("10.43.1.1"))
        #expect(allocator.firstAddress == "10.43.0.1")
        var kubernetes = service("kubernetes", clusterIP: "10.43.0.1")
        _ = try allocator.admit(&kubernetes, old: nil, type: Self.services)
        #expect(kubernetes["spec"]["clusterIPs"] == ["10.43.0.1"])
    }

    @Test func takenAndOutOfRangeIPsAreInvalidWithUpstreamMessages() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var first = service("a", clusterIP: "10.43.0.50")
        _ = try allocator.admit(&first, old: nil, type: Self.services)
        var second = service("b", clusterIP: "10.43.0.50")
        let taken = #expect(throws: APIError.self) { _ = try allocator.admit(&second, old: nil, type: Self.services) }
        #expect(taken?.code == 422 && taken?.reason == "Invalid")
        #expect(
            taken?.message
                == #"Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.43.0.50"]: failed to allocate IP 10.43.0.50: provided IP is already allocated"#
        )
        var outside = service("c", clusterIP: "10.0.0.5")
        let range = #expect(throws: APIError.self) { _ = try allocator.admit(&outside, old: nil, type: Self.services) }
        #expect(
            range?.message
                == #"Service "c" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16"#
        )
        var broadcast = service("d", clusterIP: "10.43.255.255")
        #expect(throws: APIError.self) { _ = try allocator.admit(&broadcast, old: nil, type: Self.services) }
        #expect(allocator.allocatedIPs == 1)
    }

    @Test func headlessAndExternalNameServicesGetNoIP() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var headless = service("db", clusterIP: "None")
        _ = try allocator.admit(&headless, old: nil, type: Self.services)
        #expect(headless["spec"]["clusterIPs"] == ["None"])
        var external: JSON = [
            "metadata": ["name": "ext"], "spec": ["type": "ExternalName", "externalName": "db.example"],
        ]
        _ = try allocator.admit(&external, old: nil, type: Self.services)
        #expect(external["spec"]["clusterIP"].isNull)
        #expect(allocator.allocatedIPs == 0)
    }

    @Test func exhaustionIsAnInternalErrorAndClaimsNothing() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/29")!)  // 6 usable addresses
        for index in 0..<6 {
            var next = service("s\(index)")
            _ = try allocator.admit(&next, old: nil, type: Self.services)
        }
        var overflow = service("overflow")
        let error = #expect(throws: APIError.self) { _ = try allocator.admit(&overflow, old: nil, type: Self.services) }
        #expect(error?.code == 500 && error?.message.contains("range is full") == true)
        #expect(allocator.allocatedIPs == 6)
    }

    @Test func updatesKeepTheIPAndRefuseChangingIt() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var created = service("web")
        _ = try allocator.admit(&created, old: nil, type: Self.services)
        var replaced = service("web")  // a PUT that leaves the allocated values out
        let change = try allocator.admit(&replaced, old: created, type: Self.services)
        #expect(replaced["spec"]["clusterIP"] == created["spec"]["clusterIP"] && change == ServiceAllocator.Change())
        var moved = service("web", clusterIP: "10.43.9.9")
        let error = #expect(throws: APIError.self) {
            _ = try allocator.admit(&moved, old: created, type: Self.services)
        }
        #expect(
            error?.message
                == #"Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.43.9.9"]: may not change once set"#
        )
        #expect(!allocator.isAllocated(ip: "10.43.9.9"))
        var patched = created  // a patch of the singular field only
        patched["spec"]["clusterIP"] = "10.43.9.9"
        let patchError = #expect(throws: APIError.self) {
            _ = try allocator.admit(&patched, old: created, type: Self.services)
        }
        #expect(
            patchError?.message.hasSuffix(#"spec.clusterIPs[0]: Invalid value: ["10.43.9.9"]: may not change once set"#)
                == true)
    }

    @Test func nodePortsAreAllocatedKeptOnUpdateAndReleasedWhenDropped() throws {
        var allocator = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var web = service("web", type: "NodePort", nodePorts: [nil, 30080])
        let change = try allocator.admit(&web, old: nil, type: Self.services)
        let dynamic = try #require(web["spec"]["ports"][0]["nodePort"].intValue)
        #expect((30128...32767).contains(dynamic))
        #expect(web["spec"]["ports"][1]["nodePort"] == 30080)
        #expect(Set(change.claimed.nodePorts) == [dynamic, 30080])
        var other = service("other", type: "NodePort", nodePorts: [30080])
        let taken = #expect(throws: APIError.self) { _ = try allocator.admit(&other, old: nil, type: Self.services) }
        #expect(
            taken?.message
                == #"Service "other" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"#
        )
        var low = service("low", type: "NodePort", nodePorts: [80])
        let range = #expect(throws: APIError.self) { _ = try allocator.admit(&low, old: nil, type: Self.services) }
        #expect(
            range?.message.hasSuffix("provided port is not in the valid range. The range of valid ports is 30000-32767")
                == true)
        // Back to ClusterIP: the untouched node ports are dropped and released once stored.
        var clusterIP = web
        clusterIP["spec"]["type"] = "ClusterIP"
        let back = try allocator.admit(&clusterIP, old: web, type: Self.services)
        #expect(clusterIP["spec"]["ports"][0]["nodePort"].isNull)
        #expect(Set(back.released.nodePorts) == [dynamic, 30080])
        allocator.release(back.released)
        #expect(allocator.allocatedNodePorts == 0)
    }

    @Test func rebuildFromStoredServicesSurvivesARestart() throws {
        var before = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        var stored: [JSON] = []
        for name in ["a", "b", "c"] {
            var next = service(name, type: "NodePort")
            _ = try before.admit(&next, old: nil, type: Self.services)
            stored.append(next)
        }
        var after = ServiceAllocator(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        #expect(after.rebuild(from: stored) == 0)
        #expect(after.allocatedIPs == 3 && after.allocatedNodePorts == 3)
        var again = service("d", clusterIP: stored[0]["spec"]["clusterIP"].stringValue)
        #expect(throws: APIError.self) { _ = try after.admit(&again, old: nil, type: Self.services) }
        var fresh = service("e")
        _ = try after.admit(&fresh, old: nil, type: Self.services)
        #expect(!stored.map { $0["spec"]["clusterIP"] }.contains(fresh["spec"]["clusterIP"]))
        // Releasing what a deleted Service held frees it for a request.
        after.release(after.holdings(of: stored[0]))
        _ = try after.admit(&again, old: nil, type: Self.services)
    }

    // MARK: PodCIDRAllocator

    @Test func nodesGetDistinctSubnetsUntilTheClusterCIDRIsExhausted() throws {
        var allocator = try #require(PodCIDRAllocator(clusterNetwork: IPv4Network("10.42.0.0/22")!))
        #expect(allocator.capacity == 4)
        #expect(allocator.allocate(node: "a") == "10.42.0.0/24")
        #expect(allocator.allocate(node: "b") == "10.42.1.0/24")
        #expect(allocator.allocate(node: "a") == "10.42.0.0/24", "idempotent for a node that holds one")
        #expect(allocator.occupy(node: "c", cidr: "10.42.3.0/24") == .recorded)
        #expect(allocator.occupy(node: "d", cidr: "10.42.3.0/24") == .heldBy("c"))
        #expect(allocator.occupy(node: "x", cidr: "192.168.0.0/24") == .outsideClusterNetwork)
        #expect(allocator.allocate(node: "d") == "10.42.2.0/24")
        #expect(allocator.allocate(node: "e") == nil)
        allocator.release(node: "b")
        #expect(allocator.allocate(node: "e") == "10.42.1.0/24")
        #expect(PodCIDRAllocator(clusterNetwork: IPv4Network("10.42.0.0/25")!) == nil)
    }
}
