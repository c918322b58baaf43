/// Node IPAM: hands each node one subnet (a /24 by default) of the cluster CIDR, as upstream's range allocator does.
/// Pure; the controller rebuilds it from the nodes' `spec.podCIDR` at start.
public struct PodCIDRAllocator: Sendable {
    public let clusterNetwork: IPv4Network
    public let subnetPrefixLength: Int
    private var subnets: RangeAllocator
    private var owners: [String: Int] = [:]

    /// nil when the subnets would not fit in the cluster network.
    public init?(clusterNetwork: IPv4Network, subnetPrefixLength: Int = 24) {
        guard subnetPrefixLength >= clusterNetwork.prefixLength, subnetPrefixLength <= 32,
            subnetPrefixLength - clusterNetwork.prefixLength <= 24
        else { return nil }
        self.clusterNetwork = clusterNetwork
        self.subnetPrefixLength = subnetPrefixLength
        subnets = RangeAllocator(size: 1 << (subnetPrefixLength - clusterNetwork.prefixLength))
    }

    public var capacity: Int { subnets.size }
    public var allocated: Int { subnets.count }

    /// The subnet a node holds, if any.
    public func subnet(of node: String) -> String? { owners[node].map(cidr) }

    func cidr(_ index: Int) -> String {
        IPv4Network(
            address: clusterNetwork.base + UInt32(index) << UInt32(32 - subnetPrefixLength),
            prefixLength: subnetPrefixLength
        )
        .description
    }

    func index(of text: String) -> Int? {
        guard let network = IPv4Network(text), network.prefixLength == subnetPrefixLength,
            clusterNetwork.contains(network.base)
        else { return nil }
        return Int((network.base - clusterNetwork.base) >> UInt32(32 - subnetPrefixLength))
    }

    /// What recording a node's existing podCIDR did.
    public enum Occupation: Sendable, Equatable {
        case recorded
        /// Not a subnet of the cluster network (left alone, as upstream does).
        case outsideClusterNetwork
        /// Another node holds it.
        case heldBy(String)
    }

    /// Records the podCIDR a node already has (rebuild at start, or one set by someone else).
    @discardableResult
    public mutating func occupy(node: String, cidr text: String) -> Occupation {
        guard let index = index(of: text) else { return .outsideClusterNetwork }
        if let holder = owners.first(where: { $0.value == index })?.key {
            return holder == node ? .recorded : .heldBy(holder)
        }
        release(node: node)
        _ = subnets.claim(index)
        owners[node] = index
        return .recorded
    }

    /// The node's subnet, allocating the next free one if it has none; nil when the cluster network is exhausted.
    public mutating func allocate(node: String) -> String? {
        if let held = owners[node] { return cidr(held) }
        guard let index = subnets.allocateNext() else { return nil }
        owners[node] = index
        return cidr(index)
    }

    public mutating func release(node: String) {
        guard let index = owners.removeValue(forKey: node) else { return }
        subnets.release(index)
    }
}
