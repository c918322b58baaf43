import X509

/// The Kubernetes user a client certificate asserts: user name from the subject CN, groups from its O values.
public struct ClientIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The user name (subject common name), e.g. `system:node:edge-1`.
    public var user: String
    /// The groups (subject organization values, in order), e.g. `["system:nodes"]`.
    public var groups: [String]

    /// Creates an identity from its parts.
    public init(user: String, groups: [String]) {
        self.user = user
        self.groups = groups
    }

    /// Reads the identity from a certificate's subject without checking who signed it.
    public init(certificate: Certificate) throws(PKIError) {
        var user: String?
        var groups: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn {
                switch attribute.type {
                case .RDNAttributeType.commonName:
                    if user == nil {
                        user = String(attribute.value)
                    }
                case .RDNAttributeType.organizationName:
                    if let group = String(attribute.value) {
                        groups.append(group)
                    }
                default:
                    continue
                }
            }
        }
        guard let user, !user.isEmpty else {
            throw PKIError(
                code: .verificationFailed,
                message: "client certificate '\(certificate.subject)' has no common name to use as user name"
            )
        }
        self.user = user
        self.groups = groups
    }

    public var description: String {
        "user=\(self.user) groups=[\(self.groups.joined(separator: ","))]"
    }
}
