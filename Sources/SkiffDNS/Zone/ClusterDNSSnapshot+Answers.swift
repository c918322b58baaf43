/// What the zone says about one question.
public struct ZoneAnswer: Sendable, Hashable {
    /// NOERROR (answers or NODATA), NXDOMAIN, or SERVFAIL for a CNAME loop.
    public var responseCode: DNSResponseCode
    /// The answer records, owners spelled as asked.
    public var answers: [DNSResourceRecord]
    /// The zone's SOA, for negative answers.
    public var authorities: [DNSResourceRecord]
    /// Addresses of SRV targets.
    public var additionals: [DNSResourceRecord]
    /// The target of a CNAME that leaves the zone (an ExternalName service): the answer is complete only once the
    /// target's records, resolved upstream, are appended.
    public var externalTarget: DNSName?

    init(responseCode: DNSResponseCode = .noError) {
        self.responseCode = responseCode
        self.answers = []
        self.authorities = []
        self.additionals = []
        self.externalTarget = nil
    }
}

extension ClusterDNSSnapshot {
    /// Most CNAMEs followed inside the zone, against ExternalName services naming each other in a loop.
    static let maxCNAMEChain = 8

    /// Whether a query for `name` is the zone's to answer: the cluster domain, and reverse names of addresses
    /// the snapshot knows. Everything else goes upstream.
    public func owns(_ name: DNSName) -> Bool {
        name.isSubdomain(of: clusterDomain) || reverseNodes[name] != nil
    }

    /// The zone's answer to `question`, or nil when the name is not the zone's (see ``owns(_:)``).
    public func answer(_ question: DNSQuestion) -> ZoneAnswer? {
        if question.name.isSubdomain(of: clusterDomain) {
            return forwardAnswer(question)
        }
        guard let node = reverseNodes[question.name] else { return nil }
        var result = ZoneAnswer()
        if !Self.append(node, matching: question.type, owner: question.name, to: &result) {
            let v6 = question.name.isSubdomain(of: Self.ip6Arpa)
            result.authorities = [v6 ? reverseSOAv6 : reverseSOAv4]
        }
        return result
    }

    private func forwardAnswer(_ question: DNSQuestion) -> ZoneAnswer {
        var result = ZoneAnswer()
        var name = question.name
        for hop in 0...Self.maxCNAMEChain {
            guard let node = nodes[name] ?? podNode(name) else {
                result.responseCode = .nameError
                result.authorities = [soa]
                return result
            }
            if Self.append(node, matching: question.type, owner: hop == 0 ? question.name : name, to: &result) {
                return result
            }
            guard question.type != .cname, let cname = node.records.first(where: { $0.type == .cname }),
                case .cname(let target) = cname.data
            else {
                result.authorities = [soa]
                return result
            }
            var record = cname
            if hop == 0 { record.name = question.name }
            result.answers.append(record)
            guard target.isSubdomain(of: clusterDomain) else {
                result.externalTarget = target
                return result
            }
            name = target
        }
        // A CNAME loop inside the zone: what was followed, and the client gives up.
        result.responseCode = .serverFailure
        return result
    }

    /// Appends the node's records of `type` (all of them for ANY) with their additionals; false when none match.
    private static func append(
        _ node: ZoneNode, matching type: DNSRecordType, owner: DNSName, to result: inout ZoneAnswer
    ) -> Bool {
        var found = false
        for var record in node.records where type == .any || record.type == type {
            record.name = owner
            result.answers.append(record)
            found = true
        }
        if found, type == .srv || type == .any {
            result.additionals += node.additionals
        }
        return found
    }

    /// `<a-b-c-d>.<namespace>.pod.<domain>`: any well-formed address answers (CoreDNS's `pods insecure`);
    /// `<namespace>.pod.<domain>` exists without records.
    private func podNode(_ name: DNSName) -> ZoneNode? {
        switch name.labelCount(below: podDomain) {
        case 1:
            return ZoneNode()
        case 2:
            let label = name.firstLabel
            let data: DNSRecordData
            if let v4 = IPv4Address.parse(label, separator: UInt8(ascii: "-")) {
                data = .a(IPv4Address(v4))
            } else if label.contains(UInt8(ascii: "-")),
                let v6 = IPv6Address(String(decoding: label.map { $0 == UInt8(ascii: "-") ? 0x3A : $0 }, as: UTF8.self))
            {
                data = .aaaa(v6)
            } else {
                return nil
            }
            return ZoneNode(records: [DNSResourceRecord(name: name, ttl: Self.ttl, data: data)])
        default:
            return nil
        }
    }
}
