import Foundation

/// What a leaf certificate says about its holder: subject, names, usages and lifetime. The CA decides it, never the requester.
public struct LeafProfile: Sendable, Hashable {
    /// An extended key usage a leaf certificate is issued for.
    public enum Usage: String, Sendable, Hashable, CaseIterable {
        /// TLS server authentication.
        case serverAuth
        /// TLS client authentication.
        case clientAuth
    }

    /// The subject common name (a user name for client certificates, a host or component name for serving ones).
    public var commonName: String
    /// The subject organization values (group names for client certificates).
    public var organizations: [String]
    /// The subject alternative names.
    public var names: ServingNames
    /// The extended key usages.
    public var usages: [Usage]
    /// How long the certificate is valid from issuance.
    public var validity: TimeInterval

    /// Creates a profile from its parts.
    public init(
        commonName: String,
        organizations: [String] = [],
        names: ServingNames = ServingNames(),
        usages: [Usage],
        validity: TimeInterval = SkiffPKI.leafValidity
    ) {
        self.commonName = commonName
        self.organizations = organizations
        self.names = names
        self.usages = usages
        self.validity = validity
    }

    /// A TLS server certificate for `names` (e.g. CN `kube-apiserver`, or a node name for a kubelet).
    public static func serving(
        commonName: String,
        names: ServingNames,
        validity: TimeInterval = SkiffPKI.leafValidity
    ) -> LeafProfile {
        LeafProfile(commonName: commonName, names: names, usages: [.serverAuth], validity: validity)
    }

    /// A TLS client certificate naming a user (CN) and its groups (O), e.g. `system:admin` in `system:masters`.
    public static func client(
        commonName: String,
        organizations: [String] = [],
        validity: TimeInterval = SkiffPKI.leafValidity
    ) -> LeafProfile {
        LeafProfile(commonName: commonName, organizations: organizations, usages: [.clientAuth], validity: validity)
    }

    /// The admin user k3s writes into its kubeconfig: `system:admin` in group `system:masters`.
    public static func admin(validity: TimeInterval = SkiffPKI.leafValidity) -> LeafProfile {
        .client(commonName: "system:admin", organizations: ["system:masters"], validity: validity)
    }

    /// A kubelet's client identity: `system:node:<name>` in group `system:nodes`.
    public static func nodeClient(nodeName: String, validity: TimeInterval = SkiffPKI.leafValidity) -> LeafProfile {
        .client(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"], validity: validity)
    }

    /// A kubelet's serving certificate as k3s issues it: CN and SAN `<node>`, plus `localhost`, loopbacks and node IPs.
    public static func kubeletServing(
        nodeName: String,
        nodeIPs: [String] = [],
        validity: TimeInterval = SkiffPKI.leafValidity
    ) throws(PKIError) -> LeafProfile {
        var names = ServingNames()
        try names.add(nodeName)
        try names.addDNSName("localhost")
        try names.addIPAddress("127.0.0.1")
        try names.addIPAddress("::1")
        for address in nodeIPs {
            try names.addIPAddress(address)
        }
        return .serving(commonName: nodeName, names: names, validity: validity)
    }

    /// Checks that the profile can become a usable certificate.
    func validate() throws(PKIError) {
        guard !self.commonName.isEmpty else {
            throw PKIError(code: .invalidArgument, message: "a leaf certificate needs a non-empty common name")
        }
        guard !self.organizations.contains(where: \.isEmpty) else {
            throw PKIError(code: .invalidArgument, message: "organization values must not be empty")
        }
        guard !self.usages.isEmpty else {
            throw PKIError(code: .invalidArgument, message: "a leaf certificate needs at least one usage")
        }
        guard self.validity > 0 else {
            throw PKIError(code: .invalidArgument, message: "validity must be positive, got \(self.validity) s")
        }
        if self.usages.contains(.serverAuth) && self.names.isEmpty {
            // TLS clients ignore the CN for host checks, so a serving certificate without SANs is useless.
            throw PKIError(
                code: .invalidArgument,
                message:
                    "serving certificate '\(self.commonName)' needs at least one DNS or IP subject alternative name"
            )
        }
    }
}
