extension DNSMessage {
    /// The largest message TCP can carry.
    public static let maxTCPMessageSize = 65535

    /// The message in wire form, names compressed, at most `maxSize` bytes (and never more than TCP can carry).
    ///
    /// When the records do not all fit, the ones that do are kept in order and the rest left out: the OPT record
    /// always stays, omitted additional records are silently dropped (RFC 2181 section 9), and an omitted answer or
    /// authority record sets TC so the client retries over TCP.
    public func serialized(maxSize: Int = maxTCPMessageSize) -> [UInt8] {
        let limit = min(max(maxSize, Self.headerLength), Self.maxTCPMessageSize)
        var writer = DNSWriter(capacity: min(limit, 512))
        writer.write(id)
        writer.write(UInt16(0))  // flags, set once truncation is known
        writer.write(UInt16(clamping: questions.count))
        writer.write(UInt16(0))
        writer.write(UInt16(0))
        writer.write(UInt16(0))
        for question in questions {
            writer.write(question.name, compress: true)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass.rawValue)
        }
        let optLength = edns.map { 11 + $0.options.count } ?? 0
        var truncated = isTruncated
        var counts = [0, 0, 0]
        sections: for (index, section) in [answers, authorities, additionals].enumerated() {
            for record in section {
                let mark = writer.bytes.count
                Self.write(record, to: &writer)
                if writer.bytes.count + optLength > limit {
                    writer.rollBack(to: mark)
                    if index < 2 { truncated = true }
                    break sections
                }
                counts[index] += 1
            }
        }
        var additionalCount = counts[2]
        if let edns {
            writer.write(UInt8(0))
            writer.write(DNSRecordType.opt.rawValue)
            writer.write(edns.udpPayloadSize)
            writer.write(UInt8(responseCode.rawValue >> 4 & 0xFF))
            writer.write(edns.version)
            writer.write((edns.dnssecOK ? 0x8000 : 0) | edns.otherFlags & 0x7FFF)
            writer.write(UInt16(edns.options.count))
            writer.bytes.append(contentsOf: edns.options)
            additionalCount += 1
        }
        writer.set(flags(truncated: truncated), at: 2)
        writer.set(UInt16(counts[0]), at: 6)
        writer.set(UInt16(counts[1]), at: 8)
        writer.set(UInt16(additionalCount), at: 10)
        return writer.bytes
    }

    private func flags(truncated: Bool) -> UInt16 {
        var flags = UInt16(opcode.rawValue) << 11 | responseCode.rawValue & 0x0F
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }

    private static func write(_ record: DNSResourceRecord, to writer: inout DNSWriter) {
        writer.write(record.name, compress: true)
        writer.write(record.type.rawValue)
        writer.write(record.recordClass.rawValue)
        writer.write(record.ttl)
        let lengthOffset = writer.bytes.count
        writer.write(UInt16(0))
        let start = writer.bytes.count
        switch record.data {
        case .a(let address):
            writer.write(address.value)
        case .aaaa(let address):
            writer.bytes.append(contentsOf: address.bytes)
        case .cname(let name), .ptr(let name), .ns(let name):
            writer.write(name, compress: true)
        case .mx(let preference, let exchange):
            writer.write(preference)
            writer.write(exchange, compress: true)
        case .srv(let priority, let weight, let port, let target):
            writer.write(priority)
            writer.write(weight)
            writer.write(port)
            // RFC 2782: the target is never compressed.
            writer.write(target, compress: false)
        case .soa(let soa):
            writer.write(soa.primary, compress: true)
            writer.write(soa.mailbox, compress: true)
            writer.write(soa.serial)
            writer.write(soa.refresh)
            writer.write(soa.retry)
            writer.write(soa.expire)
            writer.write(soa.minimum)
        case .txt(let strings):
            for string in strings {
                let count = min(string.count, 255)
                writer.write(UInt8(count))
                writer.bytes.append(contentsOf: string.prefix(count))
            }
        case .unknown(_, let bytes):
            writer.bytes.append(contentsOf: bytes.prefix(Int(UInt16.max)))
        }
        writer.set(UInt16(min(writer.bytes.count - start, Int(UInt16.max))), at: lengthOffset)
    }
}
