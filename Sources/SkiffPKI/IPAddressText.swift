#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Converts IP address text to and from the network-order bytes that X.509 `iPAddress` names hold.
enum IPAddressText {
    /// Parses dotted IPv4 (4 bytes) or IPv6 text (16 bytes); `nil` if `text` is neither.
    static func parse(_ text: String) -> [UInt8]? {
        if text.isEmpty || text.contains("%") {
            return nil  // zone identifiers have no place in a certificate
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Formats 4 or 16 address bytes in canonical text form; other lengths are shown as hex.
    static func format(_ bytes: some Collection<UInt8>) -> String {
        let array = Array(bytes)
        let family: Int32
        switch array.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return "0x" + array.map { hexByte($0) }.joined()
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = array.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else {
            return "0x" + array.map { hexByte($0) }.joined()
        }
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Two lowercase hex digits for `byte`.
func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}

/// Lowercase hex text of `bytes`.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { hexByte($0) }.joined()
}
