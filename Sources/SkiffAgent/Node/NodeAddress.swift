import Foundation

/// The node's own IPv4 address when `--node-ip` is not given: the address of the interface holding the default route
/// (as kubelet and k3s pick it), else the first non-loopback address, else loopback.
public enum NodeAddress {
    public static func detect() -> String {
        let addresses = interfaceAddresses()
        if let interface = defaultRouteInterface(
            routes: (try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)) ?? ""),
            let address = addresses.first(where: { $0.interface == interface })
        {
            return address.address
        }
        return addresses.first { !$0.address.hasPrefix("127.") }?.address ?? "127.0.0.1"
    }

    /// The interface of the default route in `/proc/net/route` (destination and mask 0).
    static func defaultRouteInterface(routes: String) -> String? {
        for line in routes.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count > 7, fields[1] == "00000000", fields[7] == "00000000" { return String(fields[0]) }
        }
        return nil
    }

    static func interfaceAddresses() -> [(interface: String, address: String)] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var found: [(String, String)] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else {
                continue
            }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard
                getnameinfo(
                    address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0,
                    NI_NUMERICHOST) == 0
            else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            found.append((name, text))
        }
        return found
    }
}
