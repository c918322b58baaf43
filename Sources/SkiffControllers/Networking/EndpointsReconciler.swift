import SkiffModel

/// The objects the endpoints controller writes.
public enum EndpointsResource: String, Sendable, Hashable {
    case endpoints
    case endpointSlices = "endpointslices"

    public var group: String { self == .endpoints ? "" : "discovery.k8s.io" }
}

/// One write the endpoints reconcile asks for.
public enum EndpointsAction: Sendable, Equatable {
    /// The object carries its namespace (and a name, or a generateName for slices).
    case create(EndpointsResource, JSON)
    /// The object carries the resourceVersion it was computed from.
    case update(EndpointsResource, JSON)
    case delete(EndpointsResource, namespace: String, name: String)
}

/// The upstream endpoints and EndpointSlice controllers' reconcile, pure: from a Service and the pods of its
/// namespace to the `Endpoints` object and the `EndpointSlice`s it should have, and the writes that get there from
/// what exists. Writes happen only for real differences.
public enum EndpointsReconciler {
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let controllerName = "endpointslice-controller.k8s.io"
    static let headlessLabel = "service.kubernetes.io/headless"
    /// Upstream's default `--max-endpoints-per-slice`.
    public static let maxEndpointsPerSlice = 100

    /// The writes for one Service key. `service` nil means it is gone; `slices` are the existing slices labelled
    /// with the Service's name (only those managed by this controller are touched).
    public static func reconcile(
        namespace: String, name: String, service: JSON?, pods: [JSON], endpoints: JSON?, slices: [JSON]
    ) -> [EndpointsAction] {
        let managed = slices.filter { $0["metadata"]["labels"][managedByLabel].stringValue == controllerName }
        guard let service, service.deletionTimestamp == nil else {
            var actions: [EndpointsAction] = []
            if endpoints != nil { actions.append(.delete(.endpoints, namespace: namespace, name: name)) }
            for slice in managed {
                actions.append(.delete(.endpointSlices, namespace: namespace, name: slice.name ?? ""))
            }
            return actions
        }
        // Services without a selector get their endpoints from someone else; ExternalName services have none.
        guard let selector = selector(of: service), service["spec"]["type"].stringValue != "ExternalName" else {
            return []
        }
        let members = pods.filter { pod in
            pod.namespace == namespace && (pod["status"]["podIP"].stringValue ?? "").isEmpty == false
                && !["Succeeded", "Failed"].contains(pod["status"]["phase"].stringValue ?? "")
                && selector.allSatisfy { pod["metadata"]["labels"][$0.key].stringValue == $0.value }
        }
        .sorted {
            ($0["status"]["podIP"].stringValue ?? "", $0.name ?? "") < (
                $1["status"]["podIP"].stringValue ?? "", $1.name ?? ""
            )
        }
        return reconcileEndpoints(service: service, members: members, existing: endpoints)
            + reconcileSlices(service: service, members: members, existing: managed)
    }

    /// `spec.selector` as a map; nil when absent or empty.
    static func selector(of service: JSON) -> [(key: String, value: String)]? {
        guard let object = service["spec"]["selector"].objectValue, !object.isEmpty else { return nil }
        return object.map { ($0.key, $0.value.stringValue ?? "") }
    }

    static func isHeadless(_ service: JSON) -> Bool { service["spec"]["clusterIP"].stringValue == "None" }

    static func isReady(_ pod: JSON) -> Bool {
        (pod["status"]["conditions"].arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    /// The container port a Service port reaches on a pod: a number, or the pod's port of that name and protocol;
    /// nil when a named port is not found (the pod is then left out for that port, as upstream does).
    static func targetPort(_ servicePort: JSON, pod: JSON) -> Int? {
        let target = servicePort["targetPort"]
        if let number = target.intValue { return number }
        guard let portName = target.stringValue, !portName.isEmpty else { return servicePort["port"].intValue }
        let proto = servicePort["protocol"].stringValue ?? "TCP"
        for container in pod["spec"]["containers"].arrayValue ?? [] {
            for port in container["ports"].arrayValue ?? []
            where port["name"].stringValue == portName && (port["protocol"].stringValue ?? "TCP") == proto {
                return port["containerPort"].intValue
            }
        }
        return nil
    }

    /// The resolved ports of one pod, in Service port order.
    static func ports(of service: JSON, pod: JSON, alwaysNamed: Bool) -> [JSON] {
        (service["spec"]["ports"].arrayValue ?? []).compactMap { servicePort -> JSON? in
            guard let number = targetPort(servicePort, pod: pod) else { return nil }
            var port: JSON = .emptyObject
            let portName = servicePort["name"].stringValue ?? ""
            if alwaysNamed || !portName.isEmpty { port["name"] = .string(portName) }
            port["port"] = .int(number)
            port["protocol"] = .string(servicePort["protocol"].stringValue ?? "TCP")
            return port
        }
    }

    static func targetRef(_ pod: JSON) -> JSON {
        [
            "kind": "Pod", "namespace": pod["metadata"]["namespace"], "name": pod["metadata"]["name"],
            "uid": pod["metadata"]["uid"],
        ]
    }

    /// The pod's DNS hostname under a headless Service (`spec.hostname` with `spec.subdomain` naming the Service).
    static func hostname(_ pod: JSON, service: JSON) -> String? {
        guard let hostname = pod["spec"]["hostname"].stringValue, !hostname.isEmpty,
            pod["spec"]["subdomain"].stringValue == service.name
        else { return nil }
        return hostname
    }

    static func labels(for service: JSON, extra: [(String, JSON)]) -> JSON {
        var labels = service["metadata"]["labels"].objectValue.map(JSON.object) ?? .emptyObject
        if isHeadless(service) { labels[headlessLabel] = "" }
        for (key, value) in extra { labels[key] = value }
        return labels
    }

    // MARK: Endpoints

    static func desiredSubsets(service: JSON, members: [JSON]) -> [JSON] {
        let publishNotReady = service["spec"]["publishNotReadyAddresses"].boolValue == true
        let hasPorts = !(service["spec"]["ports"].arrayValue ?? []).isEmpty
        var groups: [(ports: [JSON], ready: [JSON], notReady: [JSON])] = []
        for pod in members where publishNotReady || pod.deletionTimestamp == nil {
            let ports = ports(of: service, pod: pod, alwaysNamed: false)
            if ports.isEmpty, hasPorts || !isHeadless(service) { continue }
            var address: JSON = ["ip": pod["status"]["podIP"]]
            if let hostname = hostname(pod, service: service) { address["hostname"] = .string(hostname) }
            if let node = pod["spec"]["nodeName"].stringValue, !node.isEmpty { address["nodeName"] = .string(node) }
            address["targetRef"] = targetRef(pod)
            let index: Int
            if let found = groups.firstIndex(where: { $0.ports == ports }) {
                index = found
            } else {
                groups.append((ports, [], []))
                index = groups.count - 1
            }
            if publishNotReady || isReady(pod) {
                groups[index].ready.append(address)
            } else {
                groups[index].notReady.append(address)
            }
        }
        return groups.map { group in
            var subset: JSON = .emptyObject
            if !group.ready.isEmpty { subset["addresses"] = .array(group.ready) }
            if !group.notReady.isEmpty { subset["notReadyAddresses"] = .array(group.notReady) }
            if !group.ports.isEmpty { subset["ports"] = .array(group.ports) }
            return subset
        }
        .sorted { portsKey($0["ports"]) < portsKey($1["ports"]) }
    }

    static func portsKey(_ ports: JSON) -> String {
        (ports.arrayValue ?? []).map {
            "\($0["name"].stringValue ?? ""):\($0["port"].intValue ?? 0)/\($0["protocol"].stringValue ?? "")"
        }
        .joined(separator: ",")
    }

    static func reconcileEndpoints(service: JSON, members: [JSON], existing: JSON?) -> [EndpointsAction] {
        let subsets = desiredSubsets(service: service, members: members)
        let labels = labels(for: service, extra: [])
        guard var object = existing else {
            var created: JSON = [
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": ["name": service["metadata"]["name"], "namespace": service["metadata"]["namespace"]],
            ]
            if case .object(let map) = labels, !map.isEmpty { created["metadata"]["labels"] = labels }
            if !subsets.isEmpty { created["subsets"] = .array(subsets) }
            return [.create(.endpoints, created)]
        }
        let currentLabels = object["metadata"]["labels"].isNull ? JSON.emptyObject : object["metadata"]["labels"]
        if currentLabels == labels, (object["subsets"].arrayValue ?? []) == subsets { return [] }
        object["metadata"]["labels"] = labels
        if subsets.isEmpty { _ = object.removeValue(forKey: "subsets") } else { object["subsets"] = .array(subsets) }
        return [.update(.endpoints, object)]
    }

    // MARK: EndpointSlices

    static func desiredSlices(service: JSON, members: [JSON]) -> [JSON] {
        let publishNotReady = service["spec"]["publishNotReadyAddresses"].boolValue == true
        var groups: [(ports: [JSON], endpoints: [JSON])] = []
        for pod in members {
            let ports = ports(of: service, pod: pod, alwaysNamed: true)
            if ports.isEmpty, !(service["spec"]["ports"].arrayValue ?? []).isEmpty { continue }
            let terminating = pod.deletionTimestamp != nil
            let serving = publishNotReady || isReady(pod)
            var endpoint: JSON = [
                "addresses": [pod["status"]["podIP"]],
                "conditions": [
                    "ready": .bool(serving && !terminating), "serving": .bool(serving),
                    "terminating": .bool(terminating),
                ],
            ]
            if let hostname = hostname(pod, service: service) { endpoint["hostname"] = .string(hostname) }
            if let node = pod["spec"]["nodeName"].stringValue, !node.isEmpty { endpoint["nodeName"] = .string(node) }
            endpoint["targetRef"] = targetRef(pod)
            if let found = groups.firstIndex(where: { $0.ports == ports }) {
                groups[found].endpoints.append(endpoint)
            } else {
                groups.append((ports, [endpoint]))
            }
        }
        groups.sort { portsKey(.array($0.ports)) < portsKey(.array($1.ports)) }
        let name = service.name ?? ""
        let labels = labels(
            for: service, extra: [(serviceNameLabel, .string(name)), (managedByLabel, .string(controllerName))])
        let owner: JSON = [
            "apiVersion": "v1", "kind": "Service", "name": .string(name), "uid": service["metadata"]["uid"],
            "controller": true, "blockOwnerDeletion": true,
        ]
        func slice(ports: [JSON], endpoints: ArraySlice<JSON>) -> JSON {
            [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": [
                    "generateName": .string("\(name)-"), "namespace": service["metadata"]["namespace"],
                    "labels": labels,
                    "ownerReferences": [owner],
                ],
                "addressType": "IPv4", "endpoints": .array(Array(endpoints)), "ports": .array(ports),
            ]
        }
        // A Service without endpoints still gets one (empty) slice, as upstream's placeholder.
        if groups.isEmpty { return [slice(ports: [], endpoints: [])] }
        var slices: [JSON] = []
        for group in groups {
            var start = 0
            while start < group.endpoints.count {
                let end = min(start + maxEndpointsPerSlice, group.endpoints.count)
                slices.append(slice(ports: group.ports, endpoints: group.endpoints[start..<end]))
                start = end
            }
        }
        return slices
    }

    /// The fields a slice's content is compared on.
    static func sameContent(_ existing: JSON, _ desired: JSON) -> Bool {
        existing["metadata"]["labels"] == desired["metadata"]["labels"]
            && existing["metadata"]["ownerReferences"] == desired["metadata"]["ownerReferences"]
            && existing["addressType"] == desired["addressType"]
            && (existing["endpoints"].arrayValue ?? []) == (desired["endpoints"].arrayValue ?? [])
            && (existing["ports"].arrayValue ?? []) == (desired["ports"].arrayValue ?? [])
    }

    static func reconcileSlices(service: JSON, members: [JSON], existing: [JSON]) -> [EndpointsAction] {
        var remaining = existing.sorted { ($0.name ?? "") < ($1.name ?? "") }
        var unmatched: [JSON] = []
        for desired in desiredSlices(service: service, members: members) {
            if let index = remaining.firstIndex(where: { sameContent($0, desired) }) {
                remaining.remove(at: index)
            } else {
                unmatched.append(desired)
            }
        }
        var actions: [EndpointsAction] = []
        for desired in unmatched {
            guard !remaining.isEmpty else {
                actions.append(.create(.endpointSlices, desired))
                continue
            }
            var object = remaining.removeFirst()
            object["metadata"]["labels"] = desired["metadata"]["labels"]
            object["metadata"]["ownerReferences"] = desired["metadata"]["ownerReferences"]
            for field in ["addressType", "endpoints", "ports"] { object[field] = desired[field] }
            actions.append(.update(.endpointSlices, object))
        }
        for slice in remaining {
            actions.append(.delete(.endpointSlices, namespace: slice.namespace ?? "", name: slice.name ?? ""))
        }
        return actions
    }
}
