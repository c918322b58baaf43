/// A bounds-checked cursor over a message's bytes. Names are read against the whole message so that compression
/// pointers can reach anywhere before them.
struct DNSReader {
    let bytes: [UInt8]
    var offset: Int

    /// Most pointers one name may follow; each must also point before the previous one, so this is a backstop.
    static let maxPointerHops = 64

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private func truncated(_ what: String) -> DNSParseError {
        DNSParseError(code: .truncated, message: "message ends inside \(what)", offset: offset)
    }

    mutating func readUInt8(_ what: String) throws(DNSParseError) -> UInt8 {
        guard offset < bytes.count else { throw truncated(what) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16(_ what: String) throws(DNSParseError) -> UInt16 {
        guard bytes.count - offset >= 2 else { throw truncated(what) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32(_ what: String) throws(DNSParseError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw truncated(what) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(DNSParseError) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw truncated(what) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a possibly compressed name. A pointer must point before the start of the run of labels it ends, so
    /// every hop goes strictly backward and no input can loop.
    mutating func readName() throws(DNSParseError) -> DNSName {
        var wire: [UInt8] = []
        var position = offset
        var runStart = offset
        var resume: Int? = nil
        var hops = 0
        while true {
            guard position < bytes.count else { throw truncated("a name") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resume ?? position + 1
                    return DNSName(checkedWire: wire)
                }
                let end = position + 1 + Int(length)
                guard end <= bytes.count else { throw truncated("a label") }
                guard wire.count + 1 + Int(length) < DNSName.maxWireLength else {
                    throw DNSParseError(code: .nameTooLong, message: "name longer than 255 bytes", offset: position)
                }
                wire.append(contentsOf: bytes[position..<end])
                position = end
            case 0xC0:
                guard position + 1 < bytes.count else { throw truncated("a compression pointer") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < runStart else {
                    throw DNSParseError(
                        code: .badPointer, message: "compression pointer to \(target) does not point backward",
                        offset: position)
                }
                hops += 1
                guard hops <= Self.maxPointerHops else {
                    throw DNSParseError(code: .badPointer, message: "too many compression pointers", offset: position)
                }
                if resume == nil { resume = position + 2 }
                position = target
                runStart = target
            default:
                // 0x40 and 0x80: extended and reserved label types (RFC 6891 section 5 retired 0x40).
                throw DNSParseError(
                    code: .badLabelType, message: "label type 0x\(String(length, radix: 16))", offset: position)
            }
        }
    }
}
