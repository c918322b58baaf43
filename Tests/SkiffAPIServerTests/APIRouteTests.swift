import Testing

@testable import SkiffAPIServer

@Suite struct APIRouteTests {
    typealias Route = APIRoute.ResourceRoute

    @Test(arguments: [
        ("/api/v1/pods", Route(group: "", version: "v1", resource: "pods")),
        ("/api/v1/namespaces/default/pods", Route(group: "", version: "v1", resource: "pods", namespace: "default")),
        (
            "/api/v1/namespaces/default/pods/web",
            Route(group: "", version: "v1", resource: "pods", namespace: "default", name: "web")
        ),
        (
            "/api/v1/namespaces/default/pods/web/log",
            Route(group: "", version: "v1", resource: "pods", namespace: "default", name: "web", subresource: "log")
        ),
        ("/api/v1/namespaces", Route(group: "", version: "v1", resource: "namespaces")),
        ("/api/v1/namespaces/e2e", Route(group: "", version: "v1", resource: "namespaces", name: "e2e")),
        (
            "/api/v1/namespaces/e2e/finalize",
            Route(group: "", version: "v1", resource: "namespaces", name: "e2e", subresource: "finalize")
        ),
        (
            "/api/v1/namespaces/e2e/status",
            Route(group: "", version: "v1", resource: "namespaces", name: "e2e", subresource: "status")
        ),
        (
            "/api/v1/nodes/n1/status",
            Route(group: "", version: "v1", resource: "nodes", name: "n1", subresource: "status")
        ),
        (
            "/apis/apps/v1/namespaces/e2e/deployments/web/scale",
            Route(
                group: "apps", version: "v1", resource: "deployments", namespace: "e2e", name: "web",
                subresource: "scale")
        ),
        ("/apis/apps/v1/deployments", Route(group: "apps", version: "v1", resource: "deployments")),
    ])
    func resourcePaths(path: String, expected: Route) {
        #expect(APIRoute.parse(path) == .resource(expected))
    }

    @Test func otherPaths() {
        #expect(APIRoute.parse("/version") == .version)
        #expect(APIRoute.parse("/readyz") == .health("readyz"))
        #expect(APIRoute.parse("/api") == .coreVersions)
        #expect(APIRoute.parse("/apis") == .groups)
        #expect(APIRoute.parse("/apis/apps") == .group("apps"))
        #expect(APIRoute.parse("/api/v1") == .resourceList(group: "", version: "v1"))
        #expect(APIRoute.parse("/apis/apps/v1") == .resourceList(group: "apps", version: "v1"))
        #expect(APIRoute.parse("/openapi/v3") == .openAPIv3Index)
        #expect(APIRoute.parse("/openapi/v3/apis/apps/v1") == .openAPIv3(group: "apps", version: "v1"))
        #expect(APIRoute.parse("/openapi/v2") == .openAPIv2)
        #expect(APIRoute.parse("/") == .unknown)
        #expect(APIRoute.parse("/api/v1/namespaces/a/pods/b/log/extra") == .unknown)
        #expect(APIRoute.parse("/metrics") == .unknown)
        #expect(APIRoute.parse("/cacerts") == .caCertificates)
        #expect(APIRoute.parse("/ping") == .ping)
        #expect(APIRoute.parse("/cacerts/x") == .unknown)
    }
}

@Suite struct QueryParametersTests {
    @Test func goStyleDecodingAndBooleans() throws {
        let query = QueryParameters("labelSelector=app+in+%28a%2Cb%29&watch=True&limit=500&dryRun=All&dryRun=x&empty")
        #expect(query["labelSelector"] == "app in (a,b)")
        #expect(try query.bool("watch"))
        #expect(try !query.bool("missing"))
        #expect(try query.int("limit") == 500)
        #expect(query.all("dryRun") == ["All", "x"])
        #expect(query["empty"] == "")
        #expect(throws: Error.self) { try QueryParameters("watch=yes").bool("watch") }
        #expect(throws: Error.self) { try QueryParameters("limit=ten").int("limit") }
    }
}
