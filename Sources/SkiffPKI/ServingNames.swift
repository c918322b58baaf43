/// The subject alternative names of a serving certificate: DNS names and IP addresses (IPv4 and IPv6).
public struct ServingNames: Sendable, Hashable, CustomStringConvertible {
    /// DNS names, lowercased, without a trailing dot; a leading `*.` label is allowed.
    public private(set) var dnsNames: [String]
    /// IP addresses in canonical text form (`10.43.0.1`, `::1`).
    public private(set) var ipAddresses: [String]
    /// The network-order bytes of `ipAddresses`, in the same order.
    var ipAddressBytes: [[UInt8]]

    /// Creates an empty set of names.
    public init() {
        self.dnsNames = []
        self.ipAddresses = []
        self.ipAddressBytes = []
    }

    /// Creates names from explicit DNS names and IP address texts, validating and de-duplicating them.
    public init(dnsNames: [String] = [], ipAddresses: [String] = []) throws(PKIError) {
        self.init()
        for name in dnsNames {
            try self.addDNSName(name)
        }
        for address in ipAddresses {
            try self.addIPAddress(address)
        }
    }

    /// Creates names from mixed entries such as `--tls-san` values: IP address texts become IP names, the rest DNS names.
    public init(_ entries: [String]) throws(PKIError) {
        self.init()
        for entry in entries {
            try self.add(entry)
        }
    }

    /// The names every API server certificate carries, as kube-apiserver and k3s use them.
    public static let kubernetesAPIDefaults: [String] = [
        "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
        "localhost", "127.0.0.1", "::1",
    ]

    /// Adds one entry, classifying it as an IP address or a DNS name.
    public mutating func add(_ entry: String) throws(PKIError) {
        let trimmed = entry.trimmingASCIIWhitespace()
        if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
            // Bracketed IPv6 as written in URLs.
            try self.addIPAddress(String(trimmed.dropFirst().dropLast()))
        } else if IPAddressText.parse(trimmed) != nil {
            try self.addIPAddress(trimmed)
        } else {
            try self.addDNSName(trimmed)
        }
    }

    /// Adds a DNS name after validating it.
    public mutating func addDNSName(_ name: String) throws(PKIError) {
        let normalized = try Self.normalizeDNSName(name)
        if !self.dnsNames.contains(normalized) {
            self.dnsNames.append(normalized)
        }
    }

    /// Adds an IP address after parsing it.
    public mutating func addIPAddress(_ text: String) throws(PKIError) {
        let trimmed = text.trimmingASCIIWhitespace()
        guard let bytes = IPAddressText.parse(trimmed) else {
            throw PKIError(code: .invalidArgument, message: "'\(text)' is not an IPv4 or IPv6 address")
        }
        if !self.ipAddressBytes.contains(bytes) {
            self.ipAddressBytes.append(bytes)
            self.ipAddresses.append(IPAddressText.format(bytes))
        }
    }

    /// Merges another set of names into this one.
    public mutating func formUnion(_ other: ServingNames) {
        for name in other.dnsNames where !self.dnsNames.contains(name) {
            self.dnsNames.append(name)
        }
        for (text, bytes) in zip(other.ipAddresses, other.ipAddressBytes) where !self.ipAddressBytes.contains(bytes) {
            self.ipAddressBytes.append(bytes)
            self.ipAddresses.append(text)
        }
    }

    /// Whether every name here also appears in `other` (DNS names compare case-insensitively, IPs by bytes).
    public func isSubset(of other: ServingNames) -> Bool {
        self.dnsNames.allSatisfy { other.dnsNames.contains($0) }
            && self.ipAddressBytes.allSatisfy { other.ipAddressBytes.contains($0) }
    }

    /// Whether there are no names at all.
    public var isEmpty: Bool { self.dnsNames.isEmpty && self.ipAddressBytes.isEmpty }

    public var description: String {
        (self.dnsNames.map { "DNS:\($0)" } + self.ipAddresses.map { "IP:\($0)" }).joined(separator: ", ")
    }

    public static func == (lhs: ServingNames, rhs: ServingNames) -> Bool {
        Set(lhs.dnsNames) == Set(rhs.dnsNames) && Set(lhs.ipAddressBytes) == Set(rhs.ipAddressBytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Set(self.dnsNames))
        hasher.combine(Set(self.ipAddressBytes))
    }

    /// Builds names from raw IP bytes as found in a certificate, without text round trips.
    mutating func addIPAddressBytes(_ bytes: [UInt8]) {
        if !self.ipAddressBytes.contains(bytes) {
            self.ipAddressBytes.append(bytes)
            self.ipAddresses.append(IPAddressText.format(bytes))
        }
    }

    /// Adds a DNS name found in a certificate, keeping it even if it would not pass `addDNSName`'s checks.
    mutating func addCertificateDNSName(_ name: String) {
        let normalized = name.lowercased()
        if !self.dnsNames.contains(normalized) {
            self.dnsNames.append(normalized)
        }
    }

    static func normalizeDNSName(_ name: String) throws(PKIError) -> String {
        var normalized = name.trimmingASCIIWhitespace().lowercased()
        if normalized.hasSuffix(".") {
            normalized.removeLast()
        }
        guard !normalized.isEmpty, normalized.utf8.count <= 253 else {
            throw PKIError(code: .invalidArgument, message: "'\(name)' is not a valid DNS name (empty or too long)")
        }
        let labels = normalized.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" && index == 0 && labels.count > 1 {
                continue
            }
            let valid =
                !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                }
            guard valid else {
                throw PKIError(code: .invalidArgument, message: "'\(name)' is not a valid DNS name")
            }
        }
        return normalized
    }
}

extension String {
    /// This string without leading and trailing spaces, tabs and line breaks.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = self.firstIndex(where: { !isSpace($0) }),
            let last = self.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(self[first...last])
    }
}
