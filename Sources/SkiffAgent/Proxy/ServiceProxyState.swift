import SkiffModel

/// What the service proxy must program on one node, per Service port: the cluster IP and ports, how the port is
/// exposed on the node, session affinity, and the endpoints traffic may go to (cluster-wide and node-local).
///
/// It is a pure function of the Services and EndpointSlices the agent sees, the node's name and the cluster's
/// address plan; `NFTRuleset(state:)` turns it into rules. Ports are sorted (namespace, service, protocol, port
/// name), endpoints by address and port, so equal inputs give equal states and equal rulesets.
public struct ServiceProxyState: Sendable, Equatable {
    /// The transport protocol of a Service port, spelled as nftables spells it.
    public enum TransportProtocol: String, Sendable, Hashable, Comparable {
        case tcp, udp, sctp

        /// `TCP`, `UDP`, `SCTP` as the API spells them; absent means TCP.
        init?(api: JSON) {
            switch api {
            case .null: self = .tcp
            case .string("TCP"): self = .tcp
            case .string("UDP"): self = .udp
            case .string("SCTP"): self = .sctp
            default: return nil
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One IPv4 endpoint address and the port traffic is DNATed to.
    public struct Endpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The address as a number, for ordering.
        public var addressValue: UInt32
        public var port: Int

        public init(addressValue: UInt32, port: Int) {
            self.addressValue = addressValue
            self.port = port
        }

        /// nil unless `address` is dotted-quad IPv4.
        public init?(address: String, port: Int) {
            guard let value = IPv4Network.parseAddress(address) else { return nil }
            self.init(addressValue: value, port: port)
        }

        public var address: String { IPv4Network.format(addressValue) }

        /// `10.42.0.5:8080`.
        public var description: String { "\(address):\(port)" }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.addressValue, lhs.port) < (rhs.addressValue, rhs.port)
        }
    }

    /// One port of one Service, with everything its rules need.
    public struct ServicePort: Sendable, Equatable {
        public var namespace: String
        public var service: String
        /// The port's name; "" for the single unnamed port.
        public var portName: String
        public var transport: TransportProtocol
        public var clusterIP: String
        public var port: Int
        /// The node port (NodePort and LoadBalancer Services), nil when none is allocated.
        public var nodePort: Int?
        /// A LoadBalancer Service: `port` itself is also exposed on the node's addresses, as k3s ServiceLB does.
        public var exposesPortOnNode: Bool
        /// `externalTrafficPolicy: Local`: traffic from outside the node goes to local endpoints only, unmasqueraded.
        public var externalPolicyLocal: Bool
        /// `sessionAffinity: ClientIP` timeout in seconds; nil without affinity.
        public var affinityTimeout: Int?
        /// Where traffic from inside the cluster goes: ready endpoints, or serving terminating ones when none is
        /// ready. Empty means new connections are rejected.
        public var clusterEndpoints: [Endpoint]
        /// The subset on this node (with the same terminating fallback), for `externalPolicyLocal`.
        public var localEndpoints: [Endpoint]

        public init(
            namespace: String, service: String, portName: String, transport: TransportProtocol, clusterIP: String,
            port: Int, nodePort: Int? = nil, exposesPortOnNode: Bool = false, externalPolicyLocal: Bool = false,
            affinityTimeout: Int? = nil, clusterEndpoints: [Endpoint] = [], localEndpoints: [Endpoint] = []
        ) {
            self.namespace = namespace
            self.service = service
            self.portName = portName
            self.transport = transport
            self.clusterIP = clusterIP
            self.port = port
            self.nodePort = nodePort
            self.exposesPortOnNode = exposesPortOnNode
            self.externalPolicyLocal = externalPolicyLocal
            self.affinityTimeout = affinityTimeout
            self.clusterEndpoints = clusterEndpoints
            self.localEndpoints = localEndpoints
        }

        /// `namespace/service/protocol/portName`: what identifies the port (upstream's ServicePortName + protocol).
        public var id: String { "\(namespace)/\(service)/\(transport.rawValue)/\(portName)" }

        var sortKey: (String, String, TransportProtocol, String) { (namespace, service, transport, portName) }
    }

    /// Pod addresses; traffic to a Service from outside this range is masqueraded.
    public var clusterCIDR: IPv4Network
    /// When set, new connections to addresses in this range that match no Service port are rejected.
    public var serviceCIDR: IPv4Network?
    /// The cluster DNS address, answered on the node itself: its Service gets no rules at all.
    public var clusterDNS: String
    public var ports: [ServicePort]

    public init(clusterCIDR: IPv4Network, serviceCIDR: IPv4Network? = nil, clusterDNS: String, ports: [ServicePort]) {
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
        self.clusterDNS = clusterDNS
        self.ports = ports
    }

    /// The state for `node` from every Service and EndpointSlice in the cluster.
    ///
    /// Headless and ExternalName Services, Services without an IPv4 cluster IP and the Service holding
    /// `clusterDNS` are left out. EndpointSlices other than IPv4 are ignored.
    public init(
        services: [JSON], endpointSlices: [JSON], node: String, clusterCIDR: IPv4Network,
        serviceCIDR: IPv4Network? = nil, clusterDNS: String
    ) {
        let slicesByService = Dictionary(grouping: endpointSlices.filter(Self.isIPv4Slice)) { slice in
            ServiceName(namespace: slice.namespace ?? "", name: slice.labels[Self.serviceNameLabel] ?? "")
        }
        let dns = IPv4Network.parseAddress(clusterDNS).map(IPv4Network.format) ?? clusterDNS
        var ports: [ServicePort] = []
        for service in services {
            guard let name = service.name, let clusterIP = Self.clusterIP(service), clusterIP != dns else {
                continue
            }
            let namespace = service.namespace ?? "default"
            let slices = slicesByService[ServiceName(namespace: namespace, name: name)] ?? []
            ports += Self.servicePorts(
                service, namespace: namespace, name: name, clusterIP: clusterIP, slices: slices, node: node)
        }
        ports.sort { $0.sortKey < $1.sortKey }
        self.init(clusterCIDR: clusterCIDR, serviceCIDR: serviceCIDR, clusterDNS: clusterDNS, ports: ports)
    }

    /// The EndpointSlice label naming the Service a slice belongs to.
    static let serviceNameLabel = "kubernetes.io/service-name"

    /// Upstream's default `sessionAffinityConfig.clientIP.timeoutSeconds` (three hours).
    static let defaultAffinityTimeout = 10_800

    private struct ServiceName: Hashable {
        var namespace: String
        var name: String
    }
}

extension ServiceProxyState {
    private static func isIPv4Slice(_ slice: JSON) -> Bool {
        slice["addressType"].stringValue == "IPv4" && slice.labels[serviceNameLabel] != nil
    }

    /// The Service's IPv4 cluster IP; nil for headless (`None`), ExternalName and IPv6-only Services.
    private static func clusterIP(_ service: JSON) -> String? {
        let spec = service["spec"]
        guard spec["type"].stringValue != "ExternalName" else { return nil }
        var candidates = (spec["clusterIPs"].arrayValue ?? []).compactMap(\.stringValue)
        if let single = spec["clusterIP"].stringValue { candidates.append(single) }
        // Written back in canonical form: that is what nft gets and what `clusterDNS` is compared with.
        return candidates.lazy.compactMap(IPv4Network.parseAddress).first.map(IPv4Network.format)
    }

    private static func servicePorts(
        _ service: JSON, namespace: String, name: String, clusterIP: String, slices: [JSON], node: String
    ) -> [ServicePort] {
        let spec = service["spec"]
        let type = spec["type"].stringValue ?? "ClusterIP"
        let exposesNodePort = type == "NodePort" || type == "LoadBalancer"
        let affinityTimeout: Int? =
            if spec["sessionAffinity"].stringValue == "ClientIP" {
                spec["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"].intValue.flatMap {
                    (1...86_400).contains($0) ? $0 : nil
                } ?? defaultAffinityTimeout
            } else {
                nil
            }
        var result: [ServicePort] = []
        var seen = Set<String>()
        for entry in spec["ports"].arrayValue ?? [] {
            guard let transport = TransportProtocol(api: entry["protocol"]), let port = entry["port"].intValue,
                (1...65_535).contains(port)
            else { continue }
            let portName = entry["name"].stringValue ?? ""
            guard seen.insert("\(transport.rawValue)/\(portName)").inserted else { continue }
            let endpoints = Self.endpoints(in: slices, portName: portName, transport: transport, node: node)
            let nodePort =
                exposesNodePort ? entry["nodePort"].intValue.flatMap { (1...65_535).contains($0) ? $0 : nil } : nil
            result.append(
                ServicePort(
                    namespace: namespace, service: name, portName: portName, transport: transport,
                    clusterIP: clusterIP, port: port, nodePort: nodePort, exposesPortOnNode: type == "LoadBalancer",
                    externalPolicyLocal: exposesNodePort && spec["externalTrafficPolicy"].stringValue == "Local",
                    affinityTimeout: affinityTimeout, clusterEndpoints: endpoints.cluster,
                    localEndpoints: endpoints.local
                ))
        }
        return result
    }

    /// One endpoint as the slices describe it, before choosing which ones receive traffic.
    private struct Candidate {
        var endpoint: Endpoint
        var ready: Bool
        var servingTerminating: Bool
        var local: Bool
    }

    /// The endpoints for the Service port named `portName`, matched by name and protocol against each slice's
    /// ports (the number to DNAT to is the slice port's). Upstream's rules: `ready` and `serving` absent mean true,
    /// `terminating` absent means false; only the first address of an endpoint counts; when nothing is ready,
    /// serving terminating endpoints take the traffic.
    private static func endpoints(
        in slices: [JSON], portName: String, transport: TransportProtocol, node: String
    ) -> (cluster: [Endpoint], local: [Endpoint]) {
        var candidates: [Endpoint: Candidate] = [:]
        for slice in slices.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }) {
            let matching = (slice["ports"].arrayValue ?? []).first {
                ($0["name"].stringValue ?? "") == portName && TransportProtocol(api: $0["protocol"]) == transport
            }
            guard let port = matching?["port"].intValue, (1...65_535).contains(port) else { continue }
            for entry in slice["endpoints"].arrayValue ?? [] {
                guard let address = entry["addresses"][0].stringValue,
                    let endpoint = Endpoint(address: address, port: port)
                else { continue }
                let conditions = entry["conditions"]
                let ready = conditions["ready"].boolValue ?? true
                let serving = conditions["serving"].boolValue ?? true
                let terminating = conditions["terminating"].boolValue ?? false
                let candidate = Candidate(
                    endpoint: endpoint, ready: ready, servingTerminating: serving && terminating,
                    local: entry["nodeName"].stringValue == node)
                // The same endpoint in two slices (a slice being replaced): a ready copy wins.
                if let existing = candidates[endpoint], existing.ready || !candidate.ready { continue }
                candidates[endpoint] = candidate
            }
        }
        let all = candidates.values.sorted { $0.endpoint < $1.endpoint }
        func usable(_ group: [Candidate]) -> [Endpoint] {
            let ready = group.filter(\.ready)
            return (ready.isEmpty ? group.filter(\.servingTerminating) : ready).map(\.endpoint)
        }
        return (usable(all), usable(all.filter(\.local)))
    }
}
