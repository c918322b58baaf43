/// An IPv4 network in CIDR notation (`10.43.0.0/16`), normalized to its network address.
public struct IPv4Network: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let base: UInt32
    public let prefixLength: Int

    /// Parses `a.b.c.d/n`; host bits set in the address are cleared (as Go's `net.ParseCIDR` reports the network).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.parseAddress(String(parts[0])), let length = Int(parts[1]),
            (0...32).contains(length)
        else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public init(address: UInt32, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length out of range")
        self.prefixLength = prefixLength
        self.base = address & Self.mask(prefixLength)
    }

    /// Every address of the network, network and broadcast addresses included.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    public func contains(_ address: UInt32) -> Bool { address & Self.mask(prefixLength) == base }

    public var description: String { "\(Self.format(base))/\(prefixLength)" }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    /// Dotted-quad text to a number; nil for anything else (no leading `+`, at most three digits an octet).
    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), octet.allSatisfy(\.isNumber),
                let byte = UInt8(octet)
            else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}
