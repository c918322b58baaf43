#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The address other machines reach this one at, for the `kubernetes` Service's endpoints: the configured
/// advertise address, a specific bind address or the node IP, else the first up, non-loopback IPv4 interface address (k3s does the same).
enum HostAddress {
    static func primary(_ config: ServerConfig) -> String {
        if let address = config.advertiseAddress, IPv4CIDR.parseAddress(address) != nil { return address }
        // An API bound to one address is reachable there only (kube-apiserver advertises its bind address too).
        if config.bindAddress != "0.0.0.0", IPv4CIDR.parseAddress(config.bindAddress) != nil {
            return config.bindAddress
        }
        if let address = config.agent.nodeIP, IPv4CIDR.parseAddress(address) != nil { return address }
        return firstInterfaceAddress() ?? "127.0.0.1"
    }

    static func firstInterfaceAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(entry.pointee.ifa_flags)
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET),
                flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0
            else { continue }
            let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
            }
            return "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
        }
        return nil
    }
}
