import SkiffModel

// The table's layout (kube-proxy's nftables mode, IPv4 only):
//
//   nat-prerouting, nat-output  → services: `ip daddr . proto . port` in service-ips, or node-local destination
//                                  `proto . port` in service-nodeports → goto service-… / external-…
//   service-…                    → mark if from outside the cluster CIDR; affinity lookups; numgen over endpoint-…
//   external-…                   → Cluster policy: mark, goto service-…; Local: pods and the node itself go to
//                                  service-…, everyone else to local-… (node-local endpoints, unmasqueraded)
//   endpoint-…                   → mark hairpin traffic; record affinity; DNAT
//   nat-postrouting              → masquerading: masquerade what was marked
//   filter-input/forward/output  → new connections to ports without endpoints hit no-endpoint-services /
//                                  no-endpoint-nodeports (reject, or drop for Local without local endpoints);
//                                  with a service CIDR, anything else in it is rejected too

extension NFTRuleset {
    /// Names of the fixed chains and maps.
    enum Name {
        static let services = "services"
        static let masquerading = "masquerading"
        static let markForMasquerade = "mark-for-masquerade"
        static let reject = "reject-chain"
        static let serviceEndpointsCheck = "service-endpoints-check"
        static let nodePortEndpointsCheck = "nodeport-endpoints-check"
        static let clusterIPsCheck = "cluster-ips-check"
        static let serviceIPs = "service-ips"
        static let serviceNodePorts = "service-nodeports"
        static let noEndpointServices = "no-endpoint-services"
        static let noEndpointNodePorts = "no-endpoint-nodeports"
    }

    /// The packet mark bit that asks postrouting to masquerade (kube-proxy's).
    static let masqueradeBit = "0x4000"

    static let clusterKeyType = "ipv4_addr . inet_proto . inet_service"
    static let nodeKeyType = "inet_proto . inet_service"

    /// The rules that make `state`'s Services work on this node.
    ///
    /// Conflicts keep the first port in the state's order: a repeated cluster IP, protocol and port is ignored, and
    /// a node port wins over a LoadBalancer's port with the same number (ServiceLB leaves such a Service pending).
    public init(state: ServiceProxyState) {
        self = Self.skeleton(state)
        var clusterKeys = Set<String>()
        var nodeKeyOwner: [String: Int] = [:]
        for (index, port) in state.ports.enumerated() {
            if let nodePort = port.nodePort, nodeKeyOwner["\(port.transport.rawValue) . \(nodePort)"] == nil {
                nodeKeyOwner["\(port.transport.rawValue) . \(nodePort)"] = index
            }
        }
        for (index, port) in state.ports.enumerated() where port.exposesPortOnNode {
            if nodeKeyOwner["\(port.transport.rawValue) . \(port.port)"] == nil {
                nodeKeyOwner["\(port.transport.rawValue) . \(port.port)"] = index
            }
        }
        let nodeKeys = Dictionary(grouping: nodeKeyOwner.keys.sorted()) { nodeKeyOwner[$0] ?? -1 }
        for (index, port) in state.ports.enumerated() {
            let clusterKey = "\(port.clusterIP) . \(port.transport.rawValue) . \(port.port)"
            guard clusterKeys.insert(clusterKey).inserted else { continue }
            add(port, clusterKey: clusterKey, nodeKeys: nodeKeys[index] ?? [], clusterCIDR: state.clusterCIDR)
        }
    }

    /// The chains, maps and rules every node has, whatever its Services.
    private static func skeleton(_ state: ServiceProxyState) -> NFTRuleset {
        let newConnection = "ct state new jump"
        var forwardAndOutput = ["\(newConnection) \(Name.serviceEndpointsCheck)"]
        var chains: [String: [String]] = [
            Name.services: [
                "ip daddr . meta l4proto . th dport vmap @\(Name.serviceIPs)",
                "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @\(Name.serviceNodePorts)",
            ],
            Name.markForMasquerade: ["meta mark set meta mark | \(masqueradeBit)"],
            Name.masquerading: [
                "meta mark & \(masqueradeBit) == 0 return",
                "meta mark set meta mark ^ \(masqueradeBit)",
                "masquerade fully-random",
            ],
            // ICMP port-unreachable does not fail a connect() of the node's own processes (it arrives while the
            // socket is busy sending the SYN, and retries meet the same fate): TCP gets a reset, so every caller
            // sees ECONNREFUSED at once. Other protocols get ICMP (a local sender's send() fails with EPERM).
            Name.reject: ["meta l4proto tcp reject with tcp reset", "reject"],
            Name.serviceEndpointsCheck: ["ip daddr . meta l4proto . th dport vmap @\(Name.noEndpointServices)"],
            Name.nodePortEndpointsCheck: [
                "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @\(Name.noEndpointNodePorts)"
            ],
        ]
        if let serviceCIDR = state.serviceCIDR {
            // After DNAT (forward, and output at a later priority than nat), a destination still in the service
            // range matched no Service port. The DNS address is answered locally and must pass.
            chains[Name.clusterIPsCheck] = [
                "ip daddr \(state.clusterDNS) return", "ip daddr \(serviceCIDR) goto \(Name.reject)",
            ]
            forwardAndOutput.append("\(newConnection) \(Name.clusterIPsCheck)")
        }
        chains["nat-prerouting"] = ["jump \(Name.services)"]
        chains["nat-output"] = ["jump \(Name.services)"]
        chains["nat-postrouting"] = ["jump \(Name.masquerading)"]
        chains["filter-input"] = [
            "\(newConnection) \(Name.nodePortEndpointsCheck)", "\(newConnection) \(Name.serviceEndpointsCheck)",
        ]
        chains["filter-forward"] = forwardAndOutput
        chains["filter-output"] = forwardAndOutput
        return NFTRuleset(
            baseChains: [
                "nat-prerouting": Hook(type: "nat", hook: "prerouting", priority: "dstnat"),
                "nat-output": Hook(type: "nat", hook: "output", priority: "-100"),
                "nat-postrouting": Hook(type: "nat", hook: "postrouting", priority: "srcnat"),
                // Filter hooks run after DNAT (-100), so only connections that were not DNATed are looked up.
                "filter-input": Hook(type: "filter", hook: "input", priority: "-10"),
                "filter-forward": Hook(type: "filter", hook: "forward", priority: "-10"),
                "filter-output": Hook(type: "filter", hook: "output", priority: "-10"),
            ],
            chains: chains,
            maps: [
                Name.serviceIPs: VerdictMap(keyType: clusterKeyType),
                Name.serviceNodePorts: VerdictMap(keyType: nodeKeyType),
                Name.noEndpointServices: VerdictMap(keyType: clusterKeyType),
                Name.noEndpointNodePorts: VerdictMap(keyType: nodeKeyType),
            ])
    }

    /// Adds one Service port: its map elements and chains. `nodeKeys` are the `proto . port` keys it owns on the
    /// node's addresses (node port, load-balancer port).
    private mutating func add(
        _ port: ServiceProxyState.ServicePort, clusterKey: String, nodeKeys: [String], clusterCIDR: IPv4Network
    ) {
        let names = ProxyChainNames(port)
        guard !port.clusterEndpoints.isEmpty else {
            maps[Name.noEndpointServices]?.elements[clusterKey] = "goto \(Name.reject)"
            for key in nodeKeys { maps[Name.noEndpointNodePorts]?.elements[key] = "goto \(Name.reject)" }
            return
        }
        let usesLocal = port.externalPolicyLocal && !nodeKeys.isEmpty
        for endpoint in Set(port.clusterEndpoints + (usesLocal ? port.localEndpoints : [])) {
            var rules = ["ip saddr \(endpoint.address) jump \(Name.markForMasquerade)"]
            if let timeout = port.affinityTimeout {
                let set = names.affinity(endpoint, timeout: timeout)
                sets[set] = SetDeclaration(type: "ipv4_addr", flags: ["dynamic", "timeout"], timeout: timeout)
                rules.append("update @\(set) { ip saddr }")
            }
            rules.append("meta l4proto \(port.transport.rawValue) dnat to \(endpoint)")
            chains[names.endpoint(endpoint)] = rules
        }
        chains[names.service] =
            ["ip saddr != \(clusterCIDR) jump \(Name.markForMasquerade)"]
            + Self.dispatch(port, port.clusterEndpoints, names)
        maps[Name.serviceIPs]?.elements[clusterKey] = "goto \(names.service)"
        guard !nodeKeys.isEmpty else { return }
        var external: [String]
        if port.externalPolicyLocal {
            // Pods and the node itself are not "external": they get the cluster-wide choice.
            external = [
                "ip saddr \(clusterCIDR) goto \(names.service)",
                "fib saddr type local jump \(Name.markForMasquerade)",
                "fib saddr type local goto \(names.service)",
            ]
            if port.localEndpoints.isEmpty {
                // The packet leaves this chain un-DNATed; the input filter drops it by this element.
                for key in nodeKeys { maps[Name.noEndpointNodePorts]?.elements[key] = "drop" }
            } else {
                chains[names.local] = Self.dispatch(port, port.localEndpoints, names)
                external.append("goto \(names.local)")
            }
        } else {
            external = ["jump \(Name.markForMasquerade)", "goto \(names.service)"]
        }
        chains[names.external] = external
        for key in nodeKeys { maps[Name.serviceNodePorts]?.elements[key] = "goto \(names.external)" }
    }

    /// Affinity lookups, then a uniformly random endpoint.
    private static func dispatch(
        _ port: ServiceProxyState.ServicePort, _ endpoints: [ServiceProxyState.Endpoint], _ names: ProxyChainNames
    ) -> [String] {
        var rules: [String] = []
        if let timeout = port.affinityTimeout {
            for endpoint in endpoints {
                rules.append("ip saddr @\(names.affinity(endpoint, timeout: timeout)) goto \(names.endpoint(endpoint))")
            }
        }
        if endpoints.count == 1, let only = endpoints.first {
            rules.append("goto \(names.endpoint(only))")
        } else {
            let choices = endpoints.enumerated().map { "\($0.offset) : goto \(names.endpoint($0.element))" }
            rules.append("numgen random mod \(endpoints.count) vmap { \(choices.joined(separator: ", ")) }")
        }
        return rules
    }
}
