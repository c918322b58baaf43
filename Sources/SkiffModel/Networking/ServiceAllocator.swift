/// Cluster IPs (from the service CIDR) and node ports (30000-32767) of Services: fills them in on create and update
/// with upstream's rules and messages, and keeps the bitmaps of what stored Services hold. Pure: the API server
/// keeps one behind a lock and rebuilds it from the stored Services at start.
public struct ServiceAllocator: Sendable {
    /// What one Service holds.
    public struct Holdings: Sendable, Equatable {
        public var clusterIP: UInt32?
        public var nodePorts: [Int]

        public init(clusterIP: UInt32? = nil, nodePorts: [Int] = []) {
            self.clusterIP = clusterIP
            self.nodePorts = nodePorts
        }

        public var isEmpty: Bool { clusterIP == nil && nodePorts.isEmpty }
    }

    /// What an admitted write claimed (release it if the write fails) and what it gave up (release it once the
    /// write is stored).
    public struct Change: Sendable, Equatable {
        public var claimed = Holdings()
        public var released = Holdings()

        public init() {}
    }

    public let network: IPv4Network
    public let nodePortRange: ClosedRange<Int>
    private var ips: RangeAllocator
    private var ports: RangeAllocator

    public init(serviceNetwork: IPv4Network, nodePortRange: ClosedRange<Int> = 30000...32767) {
        network = serviceNetwork
        self.nodePortRange = nodePortRange
        // Network and broadcast addresses are never handed out (a /31 or /32 has no room for either).
        let usable = serviceNetwork.prefixLength >= 31 ? 0 : Int(serviceNetwork.size) - 2
        ips = RangeAllocator(size: usable, reservedLowBand: RangeAllocator.lowBand(size: usable, limit: 256))
        ports = RangeAllocator(
            size: nodePortRange.count, reservedLowBand: RangeAllocator.lowBand(size: nodePortRange.count, limit: 128))
    }

    public var allocatedIPs: Int { ips.count }
    public var allocatedNodePorts: Int { ports.count }

    /// The first usable address (`10.43.0.1` in `10.43.0.0/16`), reserved for the `kubernetes` Service.
    public var firstAddress: String { IPv4Network.format(network.base &+ 1) }

    func offset(of address: UInt32) -> Int? {
        guard network.contains(address), address > network.base else { return nil }
        let offset = Int(address - network.base) - 1
        return offset < ips.size ? offset : nil
    }

    public func isAllocated(ip text: String) -> Bool {
        guard let address = IPv4Network.parseAddress(text), let offset = offset(of: address) else { return false }
        return ips.isAllocated(offset)
    }

    public func isAllocated(nodePort: Int) -> Bool { ports.isAllocated(nodePort - nodePortRange.lowerBound) }

    /// The in-range cluster IP and node ports a stored Service holds.
    public func holdings(of service: JSON) -> Holdings {
        var holdings = Holdings()
        if let text = service["spec"]["clusterIP"].stringValue, let address = IPv4Network.parseAddress(text),
            offset(of: address) != nil
        {
            holdings.clusterIP = address
        }
        for port in service["spec"]["ports"].arrayValue ?? [] {
            if let nodePort = port["nodePort"].intValue, nodePortRange.contains(nodePort),
                !holdings.nodePorts.contains(nodePort)
            {
                holdings.nodePorts.append(nodePort)
            }
        }
        return holdings
    }

    /// Marks what stored Services hold; returns how many values were held twice (left to the first holder).
    @discardableResult
    public mutating func rebuild(from services: [JSON]) -> Int {
        var duplicates = 0
        for service in services {
            let holdings = holdings(of: service)
            if let address = holdings.clusterIP, let offset = offset(of: address), ips.claim(offset) != .claimed {
                duplicates += 1
            }
            for port in holdings.nodePorts where ports.claim(port - nodePortRange.lowerBound) != .claimed {
                duplicates += 1
            }
        }
        return duplicates
    }

    public mutating func release(_ holdings: Holdings) {
        if let address = holdings.clusterIP, let offset = offset(of: address) { ips.release(offset) }
        for port in holdings.nodePorts { ports.release(port - nodePortRange.lowerBound) }
    }

    /// Fills in `spec.clusterIP(s)` and node ports of a Service being created (`old` nil) or updated, claiming what
    /// it newly holds. Throws 422 Invalid (nothing claimed) for taken, out-of-range or changed values, and 500 when
    /// a range is full, as upstream does.
    public mutating func admit(_ service: inout JSON, old: JSON?, type: ResourceType) throws(APIError) -> Change {
        var change = Change()
        var causes: [APIError.Cause] = []
        do {
            try admitClusterIP(&service, old: old, change: &change, causes: &causes)
            try admitNodePorts(&service, old: old, change: &change, causes: &causes)
        } catch {
            release(change.claimed)
            throw error
        }
        if !causes.isEmpty {
            release(change.claimed)
            throw APIError.invalid(type, service.name ?? "", causes)
        }
        return change
    }

    private mutating func admitClusterIP(
        _ service: inout JSON, old: JSON?, change: inout Change, causes: inout [APIError.Cause]
    ) throws(APIError) {
        let kind = service["spec"]["type"].stringValue ?? "ClusterIP"
        var list = service["spec"]["clusterIPs"].arrayValue?.compactMap(\.stringValue) ?? []
        var requested = service["spec"]["clusterIP"].stringValue ?? ""
        let oldIP = old?["spec"]["clusterIP"].stringValue ?? ""
        if let old, !requested.isEmpty, requested != oldIP,
            list == old["spec"]["clusterIPs"].arrayValue?.compactMap(\.stringValue) ?? []
        {
            list = [requested]  // only the singular field changed (an old client): it speaks for both (upstream)
        }
        if requested.isEmpty, let first = list.first {
            requested = first
        } else if !requested.isEmpty, let first = list.first, first != requested {
            causes.append(
                .init(
                    type: "FieldValueInvalid",
                    message: "Invalid value: \(Self.quoted(list)): must match `clusterIP` when set",
                    field: "spec.clusterIPs"))
            return
        }
        if kind == "ExternalName" {
            if !oldIP.isEmpty, requested.isEmpty || requested == oldIP {
                // Leaving a type that needs an IP: the untouched allocated values go (upstream dropTypeDependentFields).
                for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                    _ = service.removeValue(at: "spec", .key(key))
                }
                if let address = holdings(of: old ?? .null).clusterIP { change.released.clusterIP = address }
            } else if !requested.isEmpty {
                causes.append(
                    .init(
                        type: "FieldValueForbidden", message: "Forbidden: may not be set for ExternalName services",
                        field: "spec.clusterIPs"))
            }
            return
        }
        if !oldIP.isEmpty {
            if requested.isEmpty {
                // An update that leaves the allocated IP out keeps it (upstream patchAllocatedValues).
                service["spec"]["clusterIP"] = .string(oldIP)
                service["spec"]["clusterIPs"] =
                    old?["spec"]["clusterIPs"].isNull == false ? old!["spec"]["clusterIPs"] : [.string(oldIP)]
            } else if requested != oldIP {
                causes.append(
                    .init(
                        type: "FieldValueInvalid",
                        message: "Invalid value: \(Self.quoted([requested])): may not change once set",
                        field: "spec.clusterIPs[0]"))
            } else if list.isEmpty {
                service["spec"]["clusterIPs"] = [.string(oldIP)]
            }
            return
        }
        if requested == "None" {
            service["spec"]["clusterIP"] = "None"
            service["spec"]["clusterIPs"] = ["None"]
        } else if requested.isEmpty {
            guard let offset = ips.allocateNext() else {
                throw APIError(
                    code: 500, reason: "InternalError",
                    message: "Internal error occurred: failed to allocate a serviceIP: range is full")
            }
            let address = network.base + 1 + UInt32(offset)
            change.claimed.clusterIP = address
            service["spec"]["clusterIP"] = .string(IPv4Network.format(address))
            service["spec"]["clusterIPs"] = [.string(IPv4Network.format(address))]
        } else {
            guard let address = IPv4Network.parseAddress(requested) else {
                causes.append(
                    .init(
                        type: "FieldValueInvalid",
                        message: "Invalid value: \"\(requested)\": must be a valid IP address",
                        field: "spec.clusterIPs[0]"))
                return
            }
            let failure = "Invalid value: \(Self.quoted([requested])): failed to allocate IP \(requested): "
            guard let offset = offset(of: address) else {
                causes.append(
                    .init(
                        type: "FieldValueInvalid",
                        message: failure
                            + "the provided IP (\(requested)) is not in the valid range. The range of valid IPs is \(network)",
                        field: "spec.clusterIPs"))
                return
            }
            guard ips.claim(offset) == .claimed else {
                causes.append(
                    .init(
                        type: "FieldValueInvalid", message: failure + "provided IP is already allocated",
                        field: "spec.clusterIPs"))
                return
            }
            change.claimed.clusterIP = address
            service["spec"]["clusterIP"] = .string(requested)
            service["spec"]["clusterIPs"] = [.string(requested)]
        }
        if service["spec"]["ipFamilies"].isNull { service["spec"]["ipFamilies"] = ["IPv4"] }
        if service["spec"]["ipFamilyPolicy"].isNull { service["spec"]["ipFamilyPolicy"] = "SingleStack" }
    }

    private mutating func admitNodePorts(
        _ service: inout JSON, old: JSON?, change: inout Change, causes: inout [APIError.Cause]
    ) throws(APIError) {
        let kind = service["spec"]["type"].stringValue ?? "ClusterIP"
        let needsNodePorts = kind == "NodePort" || kind == "LoadBalancer"
        let allocates =
            kind == "NodePort"
            || (kind == "LoadBalancer" && service["spec"]["allocateLoadBalancerNodePorts"].boolValue != false)
        let oldPorts = old?["spec"]["ports"].arrayValue ?? []
        let held = old.map { holdings(of: $0).nodePorts } ?? []
        guard var ports = service["spec"]["ports"].arrayValue else {
            change.released.nodePorts = held
            return
        }
        var kept: [Int: String] = [:]  // node port → protocol it serves
        for index in ports.indices {
            var nodePort = ports[index]["nodePort"].intValue ?? 0
            let field = "spec.ports[\(index)].nodePort"
            if !needsNodePorts {
                if nodePort != 0, oldPorts.contains(where: { $0["nodePort"].intValue == nodePort }) {
                    _ = ports[index].removeValue(forKey: "nodePort")
                } else if nodePort != 0 {
                    causes.append(
                        .init(
                            type: "FieldValueForbidden", message: "Forbidden: may not be used when `type` is '\(kind)'",
                            field: field))
                }
                continue
            }
            let proto = ports[index]["protocol"].stringValue ?? "TCP"
            if nodePort == 0,
                let previous = oldPorts.first(where: {
                    $0["port"] == ports[index]["port"] && ($0["protocol"].stringValue ?? "TCP") == proto
                        && $0["nodePort"].intValue != nil
                }), let previousPort = previous["nodePort"].intValue, held.contains(previousPort),
                kept[previousPort] == nil
            {
                nodePort = previousPort
                ports[index]["nodePort"] = .int(nodePort)
            }
            if nodePort != 0 {
                if let other = kept[nodePort] {
                    if other == proto {
                        causes.append(
                            .init(type: "FieldValueDuplicate", message: "Duplicate value: \(nodePort)", field: field))
                    }
                    continue
                }
                if held.contains(nodePort) {
                    kept[nodePort] = proto
                    continue
                }
                switch self.ports.claim(nodePort - nodePortRange.lowerBound) {
                case .claimed:
                    change.claimed.nodePorts.append(nodePort)
                    kept[nodePort] = proto
                case .alreadyAllocated:
                    causes.append(
                        .init(
                            type: "FieldValueInvalid",
                            message: "Invalid value: \(nodePort): provided port is already allocated", field: field))
                case .outOfRange:
                    causes.append(
                        .init(
                            type: "FieldValueInvalid",
                            message:
                                "Invalid value: \(nodePort): provided port is not in the valid range. The range of valid ports is "
                                + "\(nodePortRange.lowerBound)-\(nodePortRange.upperBound)",
                            field: field))
                }
            } else if allocates {
                guard let offset = self.ports.allocateNext() else {
                    throw APIError(
                        code: 500, reason: "InternalError",
                        message: "Internal error occurred: failed to allocate a nodePort: range is full")
                }
                nodePort = nodePortRange.lowerBound + offset
                change.claimed.nodePorts.append(nodePort)
                kept[nodePort] = proto
                ports[index]["nodePort"] = .int(nodePort)
            }
        }
        service["spec"]["ports"] = .array(ports)
        change.released.nodePorts = held.filter { kept[$0] == nil }
    }

    /// Go's `%v` of a string slice as recent API servers print it: `["10.43.0.1"]`.
    static func quoted(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
}
