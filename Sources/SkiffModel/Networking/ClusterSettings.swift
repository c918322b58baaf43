/// The cluster-wide settings a node needs from its server: where pod IPs come from (masquerading stops at the
/// cluster CIDR), the Service range, and the cluster DNS address and domain written into every pod's resolv.conf.
/// The server publishes them as the ConfigMap `kube-system/skiff-config` (as kubeadm publishes `kubeadm-config`);
/// a joining agent reads them there instead of assuming the defaults. Pure.
public struct ClusterSettings: Sendable, Equatable {
    public static let namespace = "kube-system"
    public static let name = "skiff-config"

    public var clusterCIDR: String
    public var serviceCIDR: String
    public var clusterDNS: String
    public var clusterDomain: String

    public init(clusterCIDR: String, serviceCIDR: String, clusterDNS: String, clusterDomain: String = "cluster.local") {
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
        self.clusterDNS = clusterDNS
        self.clusterDomain = clusterDomain
    }

    /// The settings a ConfigMap holds; nil when one is missing or empty.
    public init?(configMap: JSON) {
        let data = configMap["data"]
        guard let clusterCIDR = data["cluster-cidr"].stringValue, let serviceCIDR = data["service-cidr"].stringValue,
            let clusterDNS = data["cluster-dns"].stringValue, let clusterDomain = data["cluster-domain"].stringValue,
            ![clusterCIDR, serviceCIDR, clusterDNS, clusterDomain].contains(where: \.isEmpty)
        else { return nil }
        self.init(
            clusterCIDR: clusterCIDR, serviceCIDR: serviceCIDR, clusterDNS: clusterDNS, clusterDomain: clusterDomain)
    }

    /// The ConfigMap the server writes.
    public var configMap: JSON {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(Self.name), "namespace": .string(Self.namespace)],
            "data": [
                "cluster-cidr": .string(clusterCIDR), "service-cidr": .string(serviceCIDR),
                "cluster-dns": .string(clusterDNS), "cluster-domain": .string(clusterDomain),
            ],
        ]
    }
}
