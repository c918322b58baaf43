/// An IPv4 address, the data of an A record.
public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
    /// The address in host order: `10.43.0.1` is `0x0A2B_0001`.
    public var value: UInt32

    /// Wraps a number.
    public init(_ value: UInt32) {
        self.value = value
    }

    /// Parses dotted-quad text (`10.43.0.1`); nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let value = Self.parse(text.utf8, separator: UInt8(ascii: ".")) else { return nil }
        self.value = value
    }

    /// Parses four decimal octets split by `separator`, as in `10.43.0.1` or the pod-name form `10-43-0-1`.
    static func parse(_ bytes: some Collection<UInt8>, separator: UInt8) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        for byte in bytes {
            if byte == separator {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | octet
                octets += 1
                octet = 0
                digits = 0
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard octet <= 255 else { return nil }
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | octet
    }

    /// The four bytes, most significant first.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Dotted-quad text.
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

/// An IPv6 address, the data of an AAAA record.
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The sixteen bytes, most significant first.
    public var bytes: [UInt8]

    /// Wraps sixteen bytes; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses RFC 4291 text: eight groups, `::` for a run of zeros, an optional dotted-quad tail.
    public init?(_ text: some StringProtocol) {
        guard let bytes = Self.parse(Array(text.utf8)) else { return nil }
        self.bytes = bytes
    }

    private static func parse(_ text: [UInt8]) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var i = 0
        if text.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawGap = true
            i = 2
        }
        while i < text.count {
            // A dotted quad may end the address.
            if let dot = text[i...].firstIndex(of: UInt8(ascii: ".")),
                !text[i..<dot].contains(UInt8(ascii: ":"))
            {
                guard let v4 = IPv4Address.parse(text[i...], separator: UInt8(ascii: ".")) else { return nil }
                let groups = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                if sawGap { tail += groups } else { head += groups }
                i = text.count
                break
            }
            var group: UInt16 = 0
            var digits = 0
            while i < text.count, let nibble = hexValue(text[i]) {
                guard digits < 4 else { return nil }
                group = group << 4 | UInt16(nibble)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if sawGap { tail.append(group) } else { head.append(group) }
            guard i < text.count else { break }
            guard text[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < text.count, text[i] == UInt8(ascii: ":") {
                guard !sawGap else { return nil }
                sawGap = true
                i += 1
            } else if i == text.count {
                return nil
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// RFC 5952 text: lower-case hex, the longest run of two or more zero groups shortened to `::`.
    public var description: String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var start = 0
        while start < 8 {
            var end = start
            while end < 8, groups[end] == 0 { end += 1 }
            if end - start > bestLength {
                bestStart = start
                bestLength = end - start
            }
            start = end + 1
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
