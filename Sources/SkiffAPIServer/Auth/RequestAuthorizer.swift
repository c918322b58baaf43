import SkiffModel
import SkiffStore

/// Decides whether a user may do what a request asks, as kube-apiserver's authorizer chain `Node,RBAC` does:
/// - members of `system:masters` may do everything;
/// - a join token (bootstrap or server token) may do nothing here (it only joins, through
///   `/v1-skiff/node-certificate`);
/// - a node's certificate may do what `NodeAuthorizer` allows, and what RBAC grants it besides;
/// - everyone else what the RBAC bindings that name the user, or one of its groups, grant.
struct RequestAuthorizer: Sendable {
    let nodes: NodeAuthorizer
    let rbac: RBACIndex

    init(graph: any NodeGraph, rbac: RBACIndex) {
        nodes = NodeAuthorizer(graph: graph)
        self.rbac = rbac
    }

    init(registry: ObjectRegistry) {
        self.init(graph: RegistryNodeGraph(registry: registry), rbac: registry.rbac)
    }

    /// Throws the refusal (403 Forbidden, or 404 for a node deleting a pod that is gone).
    func authorize(_ request: RequestAttributes) async throws(APIError) {
        if let refusal = try await decide(request) { throw refusal }
    }

    /// Nil when allowed, else the refusal the request gets.
    func decide(_ request: RequestAttributes) async throws(APIError) -> APIError? {
        let user = request.user
        if user.isAdmin { return nil }
        if user.mayOnlyJoin { return request.forbidden("a join token can only request a node certificate") }
        if let node = user.nodeName, request.isResourceRequest {
            guard let refusal = try await nodes.authorize(request, node: node) else { return nil }
            if refusal.code == 403, rbac.policy.allows(request) { return nil }
            return refusal
        }
        return rbac.policy.allows(request) ? nil : request.forbidden("")
    }

    /// NodeRestriction's check of a created object's name (it is in the body, which `authorize` does not see).
    func checkCreate(_ request: RequestAttributes, object: JSON) throws(APIError) {
        guard let node = request.user.nodeName, !request.user.isAdmin else { return }
        if let refusal = NodeAuthorizer.checkCreate(request, node: node, object: object) { throw refusal }
    }
}

/// The node graph read from the registry at request time: a node's pods in one namespace (from the shared parsed
/// objects, so repeated checks parse nothing twice).
struct RegistryNodeGraph: NodeGraph {
    let registry: ObjectRegistry

    private var pods: ResourceType {
        get throws(APIError) {
            guard let type = registry.resources.lookup(group: "", version: "v1", resource: "pods") else {
                throw APIError.internal("pods are not served")
            }
            return type
        }
    }

    func pods(boundTo node: String, namespace: String) async throws(APIError) -> [JSON] {
        let page = try await registry.list(try pods, namespace: namespace)
        var bound: [JSON] = []
        for item in page.items {
            let pod = try registry.decode(item)
            if pod["spec"]["nodeName"].stringValue == node { bound.append(pod) }
        }
        return bound
    }

    func pod(namespace: String, name: String) async throws(APIError) -> JSON? {
        do {
            return try await registry.getObject(try pods, namespace: namespace, name: name)
        } catch  where error.code == 404 {
            return nil
        }
    }
}
