import SkiffModel

/// The cluster's DNS zone at one moment: every name the agent answers for `<domain>` (services, headless
/// endpoints, SRV ports, pods) and the reverse names of service and endpoint addresses, built by a pure function
/// from Services and EndpointSlices. Rebuild it when either changes; lookups never allocate names.
///
/// The answers follow CoreDNS's `kubernetes` plugin as k3s configures it (`pods insecure`, TTL 5).
public struct ClusterDNSSnapshot: Sendable {
    /// The TTL of every record from the zone.
    public static let ttl: UInt32 = 5

    /// The cluster domain, `cluster.local.`.
    public let clusterDomain: DNSName
    /// `pod.<domain>`, whose names are computed from the query rather than stored.
    let podDomain: DNSName
    /// Names in the cluster domain, empty non-terminals included.
    let nodes: [DNSName: ZoneNode]
    /// `in-addr.arpa` and `ip6.arpa` names of known service and endpoint addresses.
    let reverseNodes: [DNSName: ZoneNode]
    /// The SOA of the cluster domain, for authority sections.
    let soa: DNSResourceRecord
    let reverseSOAv4: DNSResourceRecord
    let reverseSOAv6: DNSResourceRecord

    static let inAddrArpa = DNSName(constant: "in-addr.arpa")
    static let ip6Arpa = DNSName(constant: "ip6.arpa")

    /// Builds the zone. `namespaces` adds `<ns>.svc.<domain>` names for namespaces without services; `serial` is
    /// the SOA serial. An invalid `clusterDomain` falls back to `cluster.local`.
    public init(
        services: [JSON], endpointSlices: [JSON], clusterDomain: String = "cluster.local", namespaces: [String] = [],
        serial: UInt32 = 1
    ) {
        let domain =
            (try? DNSName(clusterDomain)).flatMap { $0.isRoot ? nil : $0.lowercased() }
            ?? DNSName(constant: "cluster.local")
        var builder = ZoneBuilder(domain: domain)
        builder.touch(domain)
        builder.touch(builder.podDomain)
        for namespace in namespaces {
            if let name = try? builder.svcDomain.prepending(namespace) { builder.touch(name) }
        }
        var slicesByService: [String: [JSON]] = [:]
        for slice in endpointSlices {
            guard let namespace = slice.namespace, let service = slice.labels["kubernetes.io/service-name"] else {
                continue
            }
            slicesByService["\(namespace)/\(service)", default: []].append(slice)
        }
        for service in services {
            guard let name = service.name, let namespace = service.namespace else { continue }
            builder.add(
                service: service, name: name, namespace: namespace,
                slices: slicesByService["\(namespace)/\(name)"] ?? [])
        }

        let primary = (try? domain.prepending("dns").prepending("ns")) ?? domain
        let mailbox = (try? domain.prepending("hostmaster")) ?? domain
        func soa(_ owner: DNSName) -> DNSResourceRecord {
            DNSResourceRecord(
                name: owner, ttl: Self.ttl,
                data: .soa(
                    DNSStartOfAuthority(
                        primary: primary, mailbox: mailbox, serial: serial, refresh: 7200, retry: 1800, expire: 86400,
                        minimum: Self.ttl)))
        }
        self.soa = soa(domain)
        self.reverseSOAv4 = soa(Self.inAddrArpa)
        self.reverseSOAv6 = soa(Self.ip6Arpa)
        builder.add(self.soa, at: domain)
        self.clusterDomain = domain
        self.podDomain = builder.podDomain
        self.nodes = builder.nodes.mapValues(\.node)
        self.reverseNodes = builder.reverseNodes.mapValues(\.node)
    }

    /// How many names the zone holds (forward, empty non-terminals and reverse), for logs and metrics.
    public var nameCount: Int { nodes.count + reverseNodes.count }
}

/// The records one name owns, and the addresses that go in the additional section with its SRV records.
struct ZoneNode: Sendable {
    var records: [DNSResourceRecord] = []
    var additionals: [DNSResourceRecord] = []
}

/// A zone node under construction: the set keeps repeated records (dual-stack slices, duplicate endpoints) out.
private struct NodeBuilder {
    var node = ZoneNode()
    var seen: Set<DNSResourceRecord> = []
    var seenAdditionals: Set<DNSResourceRecord> = []
}

private struct ZoneBuilder {
    let domain: DNSName
    let svcDomain: DNSName
    let podDomain: DNSName
    var nodes: [DNSName: NodeBuilder] = [:]
    var reverseNodes: [DNSName: NodeBuilder] = [:]

    init(domain: DNSName) {
        self.domain = domain
        self.svcDomain = (try? domain.prepending("svc")) ?? domain
        self.podDomain = (try? domain.prepending("pod")) ?? domain
    }

    /// Makes `name` and every name between it and the domain exist.
    mutating func touch(_ name: DNSName) {
        var current: DNSName? = name
        while let name = current, nodes[name] == nil, name.isSubdomain(of: domain) {
            nodes[name] = NodeBuilder()
            current = name.parent
        }
    }

    mutating func add(_ record: DNSResourceRecord, at name: DNSName) {
        touch(name)
        if nodes[name]!.seen.insert(record).inserted { nodes[name]!.node.records.append(record) }
    }

    mutating func addAdditional(_ record: DNSResourceRecord, at name: DNSName) {
        touch(name)
        if nodes[name]!.seenAdditionals.insert(record).inserted { nodes[name]!.node.additionals.append(record) }
    }

    mutating func addPointer(from address: String, to target: DNSName) {
        guard let reverse = ZoneBuilder.reverseName(of: address) else { return }
        let record = DNSResourceRecord(name: reverse, ttl: ClusterDNSSnapshot.ttl, data: .ptr(target))
        if reverseNodes[reverse, default: NodeBuilder()].seen.insert(record).inserted {
            reverseNodes[reverse]!.node.records.append(record)
        }
    }

    static func addressRecord(_ address: String, owner: DNSName) -> DNSResourceRecord? {
        if let v4 = IPv4Address(address) {
            return DNSResourceRecord(name: owner, ttl: ClusterDNSSnapshot.ttl, data: .a(v4))
        }
        if let v6 = IPv6Address(address) {
            return DNSResourceRecord(name: owner, ttl: ClusterDNSSnapshot.ttl, data: .aaaa(v6))
        }
        return nil
    }

    /// `d.c.b.a.in-addr.arpa` or the 32 nibbles of `ip6.arpa`.
    static func reverseName(of address: String) -> DNSName? {
        if let v4 = IPv4Address(address) {
            let labels =
                v4.bytes.reversed().map { Array(String($0).utf8) } + [Array("in-addr".utf8), Array("arpa".utf8)]
            return try? DNSName(labels: labels)
        }
        if let v6 = IPv6Address(address) {
            let hex = Array("0123456789abcdef".utf8)
            var labels: [[UInt8]] = []
            for byte in v6.bytes.reversed() {
                labels.append([hex[Int(byte & 0x0F)]])
                labels.append([hex[Int(byte >> 4)]])
            }
            return try? DNSName(labels: labels + [Array("ip6".utf8), Array("arpa".utf8)])
        }
        return nil
    }

    mutating func add(service: JSON, name: String, namespace: String, slices: [JSON]) {
        guard let namespaceName = try? svcDomain.prepending(namespace),
            let serviceName = try? namespaceName.prepending(name)
        else { return }
        touch(serviceName)
        let spec = service["spec"]
        if spec["type"].stringValue == "ExternalName" {
            if let target = spec["externalName"].stringValue.flatMap({ try? DNSName($0) }), !target.isRoot {
                add(
                    DNSResourceRecord(name: serviceName, ttl: ClusterDNSSnapshot.ttl, data: .cname(target)),
                    at: serviceName)
            }
            return
        }
        var clusterIPs = spec["clusterIPs"].arrayValue?.compactMap(\.stringValue) ?? []
        if clusterIPs.isEmpty, let single = spec["clusterIP"].stringValue, !single.isEmpty { clusterIPs = [single] }
        if clusterIPs.first == "None" {
            addHeadless(serviceName, slices: slices)
            return
        }
        for address in clusterIPs {
            guard let record = Self.addressRecord(address, owner: serviceName) else { continue }
            add(record, at: serviceName)
            addPointer(from: address, to: serviceName)
        }
        guard !clusterIPs.isEmpty else { return }
        for port in spec["ports"].arrayValue ?? [] {
            guard let number = port["port"].intValue, let portNumber = UInt16(exactly: number) else { continue }
            let srv = DNSRecordData.srv(priority: 0, weight: 100, port: portNumber, target: serviceName)
            addService(
                srv, portName: port["name"].stringValue, protocol: port["protocol"].stringValue,
                serviceName: serviceName, target: [])
        }
    }

    /// Adds an SRV record at the service name and, for a named port, at `_<port>._<proto>.<service>`.
    private mutating func addService(
        _ srv: DNSRecordData, portName: String?, protocol: String?, serviceName: DNSName,
        target: [DNSResourceRecord]
    ) {
        var owners = [serviceName]
        if let portName, !portName.isEmpty,
            let named = try? serviceName.prepending("_" + (`protocol` ?? "TCP").lowercased()).prepending("_" + portName)
        {
            owners.append(named)
        }
        for owner in owners {
            add(DNSResourceRecord(name: owner, ttl: ClusterDNSSnapshot.ttl, data: srv), at: owner)
            for address in target { addAdditional(address, at: owner) }
        }
    }

    private mutating func addHeadless(_ serviceName: DNSName, slices: [JSON]) {
        for slice in slices {
            let addressType = slice["addressType"].stringValue ?? "IPv4"
            guard addressType == "IPv4" || addressType == "IPv6" else { continue }
            for endpoint in slice["endpoints"].arrayValue ?? [] {
                // Upstream: an absent `ready` means ready.
                guard endpoint["conditions"]["ready"].boolValue != false else { continue }
                for address in endpoint["addresses"].arrayValue?.compactMap(\.stringValue) ?? [] {
                    addEndpoint(
                        address, hostname: endpoint["hostname"].stringValue, ports: slice["ports"],
                        serviceName: serviceName)
                }
            }
        }
    }

    private mutating func addEndpoint(_ address: String, hostname: String?, ports: JSON, serviceName: DNSName) {
        guard let record = Self.addressRecord(address, owner: serviceName) else { return }
        add(record, at: serviceName)
        let label: String
        if let hostname, !hostname.isEmpty, !hostname.contains(".") {
            label = hostname
        } else {
            label = String(address.map { $0 == "." || $0 == ":" ? "-" : $0 })
        }
        guard let targetName = try? serviceName.prepending(label) else { return }
        var targetRecord = record
        targetRecord.name = targetName
        add(targetRecord, at: targetName)
        addPointer(from: address, to: targetName)
        for port in ports.arrayValue ?? [] {
            guard let number = port["port"].intValue, let portNumber = UInt16(exactly: number) else { continue }
            let srv = DNSRecordData.srv(priority: 0, weight: 100, port: portNumber, target: targetName)
            addService(
                srv, portName: port["name"].stringValue, protocol: port["protocol"].stringValue,
                serviceName: serviceName, target: [targetRecord])
        }
    }
}
