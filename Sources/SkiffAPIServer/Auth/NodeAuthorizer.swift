import SkiffModel

/// The pods a node runs, as the node authorizer needs them: answered from the store at request time.
protocol NodeGraph: Sendable {
    /// The pods in `namespace` whose `spec.nodeName` is `node`.
    func pods(boundTo node: String, namespace: String) async throws(APIError) -> [JSON]
    /// One pod, or nil when there is none.
    func pod(namespace: String, name: String) async throws(APIError) -> JSON?
}

/// What a node's own certificate (`system:node:<name>`) may do: upstream's Node authorizer and NodeRestriction
/// admission in one place. A node reads what every node reads (nodes, services, pods, runtime classes); it reads a
/// secret, configMap, persistent volume claim or service account only when a pod bound to it names one; it writes
/// only its own Node, its own Lease, and the status of (or deletes, or evicts) pods bound to it. Everything else is
/// refused, so a stolen edge box's certificate exposes that box's pods and nothing more.
struct NodeAuthorizer: Sendable {
    let graph: any NodeGraph

    static let readVerbs: Set<String> = ["get", "list", "watch"]
    static let nodeLeaseNamespace = "kube-node-lease"

    /// Nil when allowed; the refusal otherwise. Creates of Nodes and Leases are allowed here by resource only: the
    /// name they create comes in the body, which `checkCreate` sees.
    func authorize(_ request: RequestAttributes, node: String) async throws(APIError) -> APIError? {
        let verb = request.verb
        switch (request.group, request.resource, request.subresource) {
        case ("", "nodes", nil):
            if Self.readVerbs.contains(verb) || verb == "create" { return nil }
            guard ["update", "patch", "delete"].contains(verb) else { return request.forbidden("") }
            return request.name == node
                ? nil : request.forbidden("node '\(node)' cannot modify node '\(request.name ?? "")'")
        case ("", "nodes", "status"):
            guard ["get", "update", "patch"].contains(verb) else { return request.forbidden("") }
            return request.name == node
                ? nil : request.forbidden("node '\(node)' cannot modify node '\(request.name ?? "")'")
        case ("", "pods", nil):
            if Self.readVerbs.contains(verb) { return nil }
            if verb == "create" { return request.forbidden("a node may not create pods (skiff runs no static pods)") }
            guard verb == "delete" else { return request.forbidden("") }
            return try await boundPod(request, node: node)
        case ("", "pods", "status"), ("", "pods", "eviction"):
            guard ["get", "update", "patch", "create"].contains(verb) else { return request.forbidden("") }
            if request.subresource == "eviction", verb != "create" { return request.forbidden("") }
            return try await boundPod(request, node: node)
        case ("", "services", nil), ("", "endpoints", nil), ("discovery.k8s.io", "endpointslices", nil),
            ("node.k8s.io", "runtimeclasses", nil), ("storage.k8s.io", "csidrivers", nil):
            return Self.readVerbs.contains(verb) ? nil : request.forbidden("")
        case ("", "events", nil), ("events.k8s.io", "events", nil):
            return ["create", "update", "patch"].contains(verb) ? nil : request.forbidden("")
        case ("coordination.k8s.io", "leases", nil):
            guard ["get", "create", "update", "patch", "delete"].contains(verb) else { return request.forbidden("") }
            if request.namespace != Self.nodeLeaseNamespace {
                return request.forbidden("a node's lease lives in namespace \(Self.nodeLeaseNamespace)")
            }
            if verb == "create" || request.name == node { return nil }
            return request.forbidden("node '\(node)' can only use its own lease")
        case ("", "configmaps", nil)
        where verb == "get" && request.namespace == ClusterSettings.namespace && request.name == ClusterSettings.name:
            // The cluster's CIDRs and DNS, which every agent reads at start.
            return nil
        case ("", "secrets", nil), ("", "configmaps", nil), ("", "persistentvolumeclaims", nil),
            ("", "serviceaccounts", nil), ("", "serviceaccounts", "token"):
            let wanted = request.subresource == "token" ? "create" : "get"
            guard verb == wanted, let namespace = request.namespace, let name = request.name else {
                return request.forbidden("a node may only \(wanted) single objects its pods refer to")
            }
            for pod in try await graph.pods(boundTo: node, namespace: namespace) {
                let names = PodReferenceNames(pod: pod)
                let referenced =
                    switch request.resource {
                    case "secrets": names.secrets.contains(name)
                    case "configmaps": names.configMaps.contains(name)
                    case "persistentvolumeclaims": names.persistentVolumeClaims.contains(name)
                    default: names.serviceAccount == name
                    }
                if referenced { return nil }
            }
            return request.forbidden(Self.noRelationship(node))
        case ("authentication.k8s.io", "selfsubjectreviews", nil),
            ("authorization.k8s.io", "selfsubjectaccessreviews", nil),
            ("authorization.k8s.io", "selfsubjectrulesreviews", nil):
            return verb == "create" ? nil : request.forbidden("")
        default:
            return request.forbidden("")
        }
    }

    /// NodeRestriction for creates, given the object the body holds: a node creates its own Node and its own Lease.
    static func checkCreate(_ request: RequestAttributes, node: String, object: JSON) -> APIError? {
        guard request.subresource == nil else { return nil }
        switch (request.group, request.resource) {
        case ("", "nodes"), ("coordination.k8s.io", "leases"):
            let name = object.name ?? ""
            guard name != node else { return nil }
            var named = request
            named.name = name
            return named.forbidden(
                "node '\(node)' cannot create \(request.resource == "nodes" ? "node" : "the lease of node") '\(name)'")
        default:
            return nil
        }
    }

    /// Allowed when the pod the request names is bound to `node`.
    private func boundPod(_ request: RequestAttributes, node: String) async throws(APIError) -> APIError? {
        guard let namespace = request.namespace, let name = request.name else { return request.forbidden("") }
        guard let pod = try await graph.pod(namespace: namespace, name: name) else {
            // As upstream's NodeRestriction: a pod that is gone is a 404 (an agent finishing a deletion expects it).
            return APIError(
                code: 404, reason: "NotFound", message: "pods \"\(name)\" not found", name: name, group: "",
                kind: "pods")
        }
        return pod["spec"]["nodeName"].stringValue == node ? nil : request.forbidden(Self.noRelationship(node))
    }

    static func noRelationship(_ node: String) -> String {
        "no relationship found between node '\(node)' and this object"
    }
}
