import SkiffModel
import SkiffStore

/// Decides whether a user may do what a resource request asks, in order: cluster admins (`system:masters`) may do
/// everything; a node's certificate what `NodeAuthorizer` allows; a join token (bootstrap or server token) nothing
/// (it only joins, through `/v1-skiff/node-certificate`). Everyone else (service accounts, other certificate users)
/// may do everything until role-based access control arrives.
struct RequestAuthorizer: Sendable {
    let nodes: NodeAuthorizer

    init(graph: any NodeGraph) {
        nodes = NodeAuthorizer(graph: graph)
    }

    /// Throws the refusal (403 Forbidden, or 404 for a node deleting a pod that is gone).
    func authorize(_ request: RequestAttributes) async throws(APIError) {
        let user = request.user
        if user.isAdmin { return }
        if let node = user.nodeName {
            if let refusal = try await nodes.authorize(request, node: node) { throw refusal }
            return
        }
        if user.mayOnlyJoin {
            throw request.forbidden("a join token can only request a node certificate")
        }
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
