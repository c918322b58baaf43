import SkiffModel

@testable import SkiffAgent

/// Services and EndpointSlices as the API serves them, for the proxy tests.
enum ProxyFixtures {
    static let clusterCIDR = IPv4Network("10.42.0.0/16")!
    static let serviceCIDR = IPv4Network("10.43.0.0/16")!
    static let clusterDNS = "10.43.0.10"
    static let node = "n1"

    static func service(
        _ name: String, namespace: String = "default", type: String? = nil, clusterIP: String, ports: [JSON],
        affinityTimeout: Int?? = nil, externalTrafficPolicy: String? = nil
    ) -> JSON {
        var service: JSON = [
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["clusterIP": .string(clusterIP), "ports": .array(ports)],
        ]
        if let type { service["spec"]["type"] = .string(type) }
        if clusterIP != "None" { service["spec"]["clusterIPs"] = [.string(clusterIP)] }
        if let affinityTimeout {
            service["spec"]["sessionAffinity"] = "ClientIP"
            if let timeout = affinityTimeout {
                service["spec"]["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(timeout)]]
            }
        }
        if let externalTrafficPolicy { service["spec"]["externalTrafficPolicy"] = .string(externalTrafficPolicy) }
        return service
    }

    static func port(
        _ name: String, _ port: Int, targetPort: Int? = nil, nodePort: Int? = nil, protocol: String? = nil
    ) -> JSON {
        var entry = Self.port(port, targetPort: targetPort, nodePort: nodePort, protocol: `protocol`)
        entry["name"] = .string(name)
        return entry
    }

    static func port(_ port: Int, targetPort: Int? = nil, nodePort: Int? = nil, protocol: String? = nil) -> JSON {
        var entry: JSON = ["port": .int(port), "targetPort": .int(targetPort ?? port)]
        if let nodePort { entry["nodePort"] = .int(nodePort) }
        if let `protocol` { entry["protocol"] = .string(`protocol`) }
        return entry
    }

    static func slice(
        _ name: String, service: String, namespace: String = "default", addressType: String = "IPv4", ports: [JSON],
        endpoints: [JSON]
    ) -> JSON {
        [
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": ["kubernetes.io/service-name": .string(service)],
            ],
            "addressType": .string(addressType),
            "ports": .array(ports),
            "endpoints": .array(endpoints),
        ]
    }

    static func slicePort(_ name: String, _ port: Int, protocol: String = "TCP") -> JSON {
        var entry = slicePort(port, protocol: `protocol`)
        entry["name"] = .string(name)
        return entry
    }

    static func slicePort(_ port: Int, protocol: String = "TCP") -> JSON {
        ["port": .int(port), "protocol": .string(`protocol`)]
    }

    static func endpoint(
        _ address: String, node: String = "n2", ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil
    ) -> JSON {
        var conditions = JSON.emptyObject
        if let ready { conditions["ready"] = .bool(ready) }
        if let serving { conditions["serving"] = .bool(serving) }
        if let terminating { conditions["terminating"] = .bool(terminating) }
        return ["addresses": [.string(address)], "nodeName": .string(node), "conditions": conditions]
    }

    static func state(
        services: [JSON], slices: [JSON], serviceCIDR: IPv4Network? = nil
    ) -> ServiceProxyState {
        ServiceProxyState(
            services: services, endpointSlices: slices, node: node, clusterCIDR: clusterCIDR, serviceCIDR: serviceCIDR,
            clusterDNS: clusterDNS)
    }

    /// `count` ClusterIP Services `svc-<i>` on 10.43.1.x / 10.43.2.x…, each with `endpoints` ready endpoints.
    static func manyServices(_ count: Int, endpoints: Int = 2) -> (services: [JSON], slices: [JSON]) {
        var services: [JSON] = []
        var slices: [JSON] = []
        for index in 0..<count {
            let name = "svc-\(index)"
            services.append(
                service(name, clusterIP: "10.43.\(1 + index / 250).\(1 + index % 250)", ports: [port("http", 80)]))
            slices.append(
                slice(
                    "\(name)-abc", service: name, ports: [slicePort("http", 8080)],
                    endpoints: (0..<endpoints).map { endpoint("10.42.\(1 + $0).\(1 + index % 250)") }))
        }
        return (services, slices)
    }
}
