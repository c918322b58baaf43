import SkiffModel
import Testing

@testable import SkiffClient

@Suite struct APIPathTests {
    let resources = ResourceRegistry()

    @Test func pathsFollowTheRESTShapes() throws {
        let pods = try #require(resources.lookup(group: "", version: "v1", resource: "pods"))
        let nodes = try #require(resources.lookup(group: "", version: "v1", resource: "nodes"))
        let deployments = try #require(resources.lookup(group: "apps", version: "v1", resource: "deployments"))
        let roles = try #require(
            resources.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles"))
        #expect(APIPath.resource(pods, namespace: nil) == "/api/v1/pods")
        #expect(APIPath.resource(pods, namespace: "default") == "/api/v1/namespaces/default/pods")
        #expect(
            APIPath.resource(pods, namespace: "default", name: "web", subresource: "status")
                == "/api/v1/namespaces/default/pods/web/status")
        #expect(APIPath.resource(nodes, namespace: "ignored", name: "n1") == "/api/v1/nodes/n1")
        #expect(
            APIPath.resource(deployments, namespace: "kube-system")
                == "/apis/apps/v1/namespaces/kube-system/deployments")
        #expect(
            APIPath.resource(roles, namespace: nil, name: "system:node")
                == "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node")
        #expect(APIPath.resource(pods, namespace: "a", name: "x/y?z") == "/api/v1/namespaces/a/pods/x%2Fy%3Fz")
    }

    @Test func selectorsAreEncodedForTheQuery() {
        let options = ListOptions(labelSelector: "app=web,tier in (a,b)", fieldSelector: "spec.nodeName!=", limit: 5)
        #expect(
            APIPath.query(APIPath.listQuery(options))
                == "?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&fieldSelector=spec.nodeName%21%3D&limit=5")
        #expect(APIPath.query(APIPath.listQuery(ListOptions())) == "")
    }
}
