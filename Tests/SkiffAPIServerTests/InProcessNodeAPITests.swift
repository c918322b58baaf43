import Logging
import SkiffClient
import SkiffModel
import SkiffStore
import Testing

@testable import SkiffAPIServer

/// The embedded agent speaks in process as its node: the node authorizer judges it as it judges a remote node.
@Suite struct InProcessNodeAPITests {
    @Test func theServersOwnNodeHasARemoteNodesRightsNoMore() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Logger(label: "test"))
        try await registry.seed()
        let admin = InProcessClusterAPI(registry: registry)
        let secrets = admin.type("", "v1", "secrets")
        let pods = admin.type("", "v1", "pods")
        let nodes = admin.type("", "v1", "nodes")
        for name in ["mine", "theirs"] {
            _ = try await admin.create(
                secrets, namespace: "default", object: ["metadata": ["name": .string(name)]], fieldManager: "t")
            let pod: JSON = [
                "metadata": ["name": .string(name)],
                "spec": [
                    "nodeName": .string(name == "mine" ? "server-node" : "edge"),
                    "containers": [["name": "c", "image": "busybox"]],
                    "volumes": [["name": "s", "secret": ["secretName": .string(name)]]],
                ],
            ]
            _ = try await admin.create(pods, namespace: "default", object: pod, fieldManager: "t")
        }
        let node = InProcessClusterAPI.node("server-node", registry: registry)
        #expect(try await node.get(secrets, namespace: "default", name: "mine").name == "mine")
        await #expect(throws: APIError.self) { _ = try await node.get(secrets, namespace: "default", name: "theirs") }
        do throws(APIError) {
            _ = try await node.get(secrets, namespace: "default", name: "theirs")
        } catch {
            #expect(error.code == 403)
            #expect(error.message.contains("no relationship found between node 'server-node' and this object"))
        }
        _ = try await node.create(
            nodes, namespace: nil, object: ["metadata": ["name": "server-node"]], fieldManager: "t")
        await #expect(throws: APIError.self) {
            _ = try await node.create(nodes, namespace: nil, object: ["metadata": ["name": "edge"]], fieldManager: "t")
        }
        await #expect(throws: APIError.self) {
            try await node.delete(pods, namespace: "default", name: "theirs", options: .emptyObject)
        }
        try await node.delete(pods, namespace: "default", name: "mine", options: ["gracePeriodSeconds": 0])
    }
}
