import SkiffModel

/// The node's pod network, as a pure function of the nodes the agent sees: the CNI conflist for its own pod CIDR,
/// and host-gw routes to every other node's pod CIDR via that node's InternalIP (nodes on one L2 segment).
public struct PodNetworkPlan: Sendable, Equatable {
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var destination: String
        public var gateway: String

        public init(destination: String, gateway: String) {
            self.destination = destination
            self.gateway = gateway
        }

        public var description: String { "\(destination) via \(gateway)" }
    }

    /// nil until the node has a `spec.podCIDR`.
    public var podCIDR: String?
    public var routes: Set<Route>

    public init(podCIDR: String?, routes: Set<Route>) {
        self.podCIDR = podCIDR
        self.routes = routes
    }

    /// The plan for `node` among `nodes`.
    public init(node: String, nodes: [JSON]) {
        var own: String?
        var routes = Set<Route>()
        for object in nodes {
            guard let name = object.name, let cidr = object["spec"]["podCIDR"].stringValue, IPv4Network(cidr) != nil
            else {
                continue
            }
            if name == node {
                own = cidr
            } else if let address = Self.internalIP(object) {
                routes.insert(Route(destination: cidr, gateway: address))
            }
        }
        self.init(podCIDR: own, routes: routes)
    }

    static func internalIP(_ node: JSON) -> String? {
        (node["status"]["addresses"].arrayValue ?? []).first { $0["type"].stringValue == "InternalIP" }?["address"]
            .stringValue.flatMap { IPv4Network.parseAddress($0) != nil ? $0 : nil }
    }
}

/// The CNI network configuration list the runtime loads: bridge + host-local on the pod CIDR + portmap.
///
/// The bridge does not masquerade (`ipMasq: false`): the agent masquerades only traffic leaving the cluster CIDR, so
/// pods see each other's real addresses across nodes. `forceAddress` lets the bridge take a new gateway address when
/// the node's pod CIDR changed.
public enum CNIConfig {
    public static let fileName = "10-skiff.conflist"

    public static func conflist(podCIDR: String, bridge: String, ipamDirectory: String, mtu: Int? = nil) -> JSON {
        var bridgePlugin: JSON = [
            "type": "bridge", "bridge": .string(bridge), "isGateway": true, "isDefaultGateway": true, "ipMasq": false,
            "hairpinMode": true, "forceAddress": true,
            "ipam": [
                "type": "host-local", "ranges": [[["subnet": .string(podCIDR)]]],
                "dataDir": .string(ipamDirectory),
            ],
        ]
        if let mtu { bridgePlugin["mtu"] = .int(mtu) }
        return [
            "cniVersion": "1.0.0", "name": "skiff",
            "plugins": [
                bridgePlugin,
                ["type": "portmap", "snat": true, "capabilities": ["portMappings": true]],
            ],
        ]
    }

    /// A bridge name of at most 15 bytes (IFNAMSIZ), distinct from docker0/cni0/flannel's.
    public static let defaultBridge = "skiff0"
}
