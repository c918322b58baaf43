import Logging
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

/// Cluster IP and node port allocation on the registry's write paths, and its rebuild after a restart.
@Suite struct ServiceAllocationTests {
    let store = MemoryStore()
    var services: ResourceType { ObjectRegistry.serviceType }

    func registry() async throws -> ObjectRegistry {
        let registry = ObjectRegistry(store: store, logger: Logger(label: "test"))
        try await registry.seed()
        try await registry.enableServiceAllocation(serviceNetwork: IPv4Network("10.43.0.0/16")!)
        return registry
    }

    func service(_ name: String, clusterIP: String? = nil, type: String = "ClusterIP") -> JSON {
        var service: JSON = [
            "metadata": ["name": .string(name)], "spec": ["type": .string(type), "ports": [["port": 80]]],
        ]
        if let clusterIP { service["spec"]["clusterIP"] = .string(clusterIP) }
        return service
    }

    func create(_ registry: ObjectRegistry, _ object: JSON) async throws -> JSON {
        try StoredBytes.decode(try await registry.create(services, namespace: "default", object: object))
    }

    @Test func createAssignsDuplicatesAreInvalidDeleteReleases() async throws {
        let registry = try await registry()
        let web = try await create(registry, service("web", type: "NodePort"))
        let ip = try #require(web["spec"]["clusterIP"].stringValue)
        #expect(IPv4Network("10.43.0.0/16")!.contains(IPv4Network.parseAddress(ip)!))
        #expect((30000...32767).contains(web["spec"]["ports"][0]["nodePort"].intValue ?? 0))
        let error = await #expect(throws: APIError.self) {
            _ = try await create(registry, service("copy", clusterIP: ip))
        }
        #expect(error?.code == 422 && error?.message.contains("provided IP is already allocated") == true)
        // A failed store write gives the claim back.
        await #expect(throws: APIError.self) { _ = try await create(registry, service("web", clusterIP: "10.43.0.77")) }
        _ = try await create(registry, service("other", clusterIP: "10.43.0.77"))
        _ = try await registry.delete(services, namespace: "default", name: "web")
        let reused = try await create(registry, service("copy", clusterIP: ip))
        #expect(reused["spec"]["clusterIP"].stringValue == ip)
    }

    @Test func updatesKeepTheIPAndRefuseChangingIt() async throws {
        let registry = try await registry()
        let web = try await create(registry, service("web"))
        let (kv, _) = try await registry.update(services, namespace: "default", name: "web") { _ throws(APIError) in
            var replaced = service("web")
            replaced["metadata"]["labels"] = ["tier": "front"]
            return replaced
        }
        #expect(try StoredBytes.decode(kv)["spec"]["clusterIP"] == web["spec"]["clusterIP"])
        let error = await #expect(throws: APIError.self) {
            _ = try await registry.update(services, namespace: "default", name: "web") { _ throws(APIError) in
                service("web", clusterIP: "10.43.0.99")
            }
        }
        #expect(
            error?.code == 422 && error?.message.contains("spec.clusterIPs[0]") == true
                && error?.message.contains("may not change once set") == true)
        #expect(registry.serviceAllocations.snapshot?.isAllocated(ip: "10.43.0.99") == false)
    }

    @Test func aRestartRebuildsFromTheStoredServices() async throws {
        let first = try await registry()
        try await first.seedKubernetesService(address: "192.0.2.10", port: 6443)
        let web = try await create(first, service("web"))
        let restarted = try await registry()
        try await restarted.seedKubernetesService(address: "192.0.2.11", port: 6443)
        #expect(restarted.serviceAllocations.snapshot?.allocatedIPs == 2)
        await #expect(throws: APIError.self) {
            _ = try await create(restarted, service("copy", clusterIP: web["spec"]["clusterIP"].stringValue))
        }
        let kubernetes = try await restarted.getObject(services, namespace: "default", name: "kubernetes")
        #expect(kubernetes["spec"]["clusterIP"] == "10.43.0.1")
        #expect(kubernetes["spec"]["ports"] == [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]])
        let endpoints = try await restarted.getObject(
            ObjectRegistry.endpointsType, namespace: "default", name: "kubernetes")
        #expect(endpoints["subsets"][0]["addresses"][0]["ip"] == "192.0.2.11", "the address follows the server")
        #expect(endpoints["subsets"][0]["ports"][0]["port"] == 6443)
    }
}
