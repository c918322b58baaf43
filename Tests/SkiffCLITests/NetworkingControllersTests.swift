import Logging
import SkiffAPIServer
import SkiffAgent
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import Testing

/// Node IPAM, simulated nodes taking pod IPs from the assigned CIDRs, and the endpoints controller, in process.
@Suite struct NetworkingControllersTests {
    @Test func servicesGetEndpointsFromPodsOnIPAMNodes() async throws {
        let logger = Logger(label: "test")
        let registry = ObjectRegistry(store: MemoryStore(), logger: logger, garbageCollection: true)
        try await registry.seed()
        try await registry.enableServiceAllocation(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        let api = InProcessClusterAPI(registry: registry)
        let pods = api.type("", "v1", "pods")
        let services = api.type("", "v1", "services")
        let endpoints = api.type("", "v1", "endpoints")
        let slices = api.type("discovery.k8s.io", "v1", "endpointslices")
        let ipam = try #require(
            NodeIPAMController(api: api, clusterNetwork: IPv4Network("10.42.0.0/16")!, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ipam.run() }
            // One worker: its queue is FIFO, so the repair below orders after any key queued before it.
            group.addTask { try await EndpointsController(api: api, workers: 1, logger: logger).run() }
            group.addTask {
                try await SimulatedNodes(
                    api: api, count: 2, heartbeat: .seconds(30), selfAssignedCIDRs: false, logger: logger
                ).run()
            }
            let service = try await api.create(
                services, namespace: "default",
                object: [
                    "metadata": ["name": "web"],
                    "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": "http"]]],
                ],
                fieldManager: "test")
            #expect(service["spec"]["clusterIP"].stringValue?.hasPrefix("10.43.") == true)
            for (index, node) in ["sim-0", "sim-1"].enumerated() {
                let pod: JSON = [
                    "metadata": ["name": .string("web-\(index)"), "labels": ["app": "web"]],
                    "spec": [
                        "nodeName": .string(node),
                        "containers": [
                            ["name": "c", "image": "nginx", "ports": [["name": "http", "containerPort": 8080]]]
                        ],
                    ],
                ]
                _ = try await api.create(pods, namespace: "default", object: pod, fieldManager: "test")
            }
            var addresses: [JSON] = []
            for _ in 0..<200 where addresses.count < 2 {
                try await Task.sleep(for: .milliseconds(50))
                addresses =
                    (try? await api.get(endpoints, namespace: "default", name: "web"))?["subsets"][0]["addresses"]
                    .arrayValue ?? []
            }
            #expect(addresses.count == 2)
            let nodes = try await api.list(api.type("", "v1", "nodes"), namespace: nil, options: ListOptions()).items
            let cidrs = Set(nodes.compactMap { $0["spec"]["podCIDR"].stringValue })
            #expect(cidrs.count == 2 && cidrs.allSatisfy { $0.hasPrefix("10.42.") && $0.hasSuffix(".0/24") })
            for address in addresses {
                let node = try #require(nodes.first { $0.name == address["nodeName"].stringValue })
                let cidr = try #require(IPv4Network(node["spec"]["podCIDR"].stringValue ?? ""))
                #expect(
                    cidr.contains(IPv4Network.parseAddress(address["ip"].stringValue ?? "") ?? 0),
                    "pod IPs come from the node's CIDR")
            }
            let list = try await api.list(
                slices, namespace: "default", options: ListOptions(labelSelector: "kubernetes.io/service-name=web"))
            #expect(list.items.count == 1)
            #expect(list.items.first?["endpoints"].arrayValue?.count == 2)
            #expect(list.items.first?["ports"][0]["port"] == 8080)

            // Deleting the Service removes its Endpoints (and the slice, through its owner).
            try await api.delete(services, namespace: "default", name: "web", options: .emptyObject)
            var gone = false
            for _ in 0..<100 where !gone {
                try await Task.sleep(for: .milliseconds(50))
                gone = (try? await api.get(endpoints, namespace: "default", name: "web")) == nil
            }
            #expect(gone)

            // Endpoints someone made before their (selectorless) Service are left alone, even when they change.
            // The moment that proves it: a Service the controller knows ("marker") has its Endpoints broken after
            // the manual object's events, and the controller repairs them; with one worker and a FIFO queue, a key
            // queued for "manual" by those earlier events would have been reconciled (deleted) before that repair.
            _ = try await api.create(
                services, namespace: "default",
                object: [
                    "metadata": ["name": "marker"],
                    "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": "http"]]],
                ],
                fieldManager: "test")
            #expect(try await Self.addresses(of: "marker", count: 2, api: api) == 2)
            let manual: JSON = [
                "metadata": ["name": "manual"],
                "subsets": [["addresses": [["ip": "192.0.2.7"]], "ports": [["port": 80]]]],
            ]
            _ = try await api.create(endpoints, namespace: "default", object: manual, fieldManager: "test")
            _ = try await api.patch(
                endpoints, namespace: "default", name: "manual", patch: ["metadata": ["labels": ["touched": "yes"]]],
                patchType: .merge, subresource: nil, fieldManager: "test")
            // Twice: a "marker" key still queued from before the manual events could be the first repair; every
            // key queued for the second was queued after them.
            for _ in 0..<2 {
                _ = try await api.patch(
                    endpoints, namespace: "default", name: "marker", patch: ["subsets": .null],
                    patchType: .merge, subresource: nil, fieldManager: "test")
                #expect(try await Self.addresses(of: "marker", count: 2, api: api) == 2, "the controller repairs it")
            }
            #expect((try? await api.get(endpoints, namespace: "default", name: "manual")) != nil)
            group.cancelAll()
        }
    }

    /// The number of addresses in the Service's Endpoints once it reaches `count` (or after 10 s, to stop a hang).
    static func addresses(of service: String, count: Int, api: InProcessClusterAPI) async throws -> Int {
        var found = 0
        for _ in 0..<200 {
            found =
                (try? await api.get(api.type("", "v1", "endpoints"), namespace: "default", name: service))?[
                    "subsets"][0]["addresses"].arrayValue?.count ?? 0
            if found == count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return found
    }
}
