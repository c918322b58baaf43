extension DNSMessage {
    /// The size of the fixed header.
    public static let headerLength = 12

    /// Parses a message. Every read is bounds-checked and every compression pointer must point backward, so no
    /// input traps or loops; bytes after the last record are ignored.
    public init(parsing bytes: [UInt8]) throws(DNSParseError) {
        var reader = DNSReader(bytes)
        let header = try DNSMessage.Header(&reader)
        var message = header.emptyMessage
        message.questions.reserveCapacity(min(Int(header.questionCount), 4))
        for _ in 0..<header.questionCount {
            let name = try reader.readName()
            let type = DNSRecordType(rawValue: try reader.readUInt16("a question"))
            let recordClass = DNSClass(rawValue: try reader.readUInt16("a question"))
            message.questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        for _ in 0..<header.answerCount {
            message.answers.append(try Self.readRecord(&reader, inAdditionals: false).record)
        }
        for _ in 0..<header.authorityCount {
            message.authorities.append(try Self.readRecord(&reader, inAdditionals: false).record)
        }
        for _ in 0..<header.additionalCount {
            let start = reader.offset
            let (record, opt) = try Self.readRecord(&reader, inAdditionals: true)
            if let opt {
                guard message.edns == nil else {
                    throw DNSParseError(code: .badOPT, message: "more than one OPT record", offset: start)
                }
                message.edns = opt.edns
                message.responseCode = DNSResponseCode(
                    rawValue: UInt16(opt.extendedResponseCode) << 4 | message.responseCode.rawValue)
            } else {
                message.additionals.append(record)
            }
        }
        self = message
    }

    /// The fixed header alone.
    struct Header {
        var id: UInt16
        var flags: UInt16
        var questionCount: UInt16
        var answerCount: UInt16
        var authorityCount: UInt16
        var additionalCount: UInt16

        init(_ reader: inout DNSReader) throws(DNSParseError) {
            id = try reader.readUInt16("the header")
            flags = try reader.readUInt16("the header")
            questionCount = try reader.readUInt16("the header")
            answerCount = try reader.readUInt16("the header")
            authorityCount = try reader.readUInt16("the header")
            additionalCount = try reader.readUInt16("the header")
        }

        /// The header's fields, without any records.
        var emptyMessage: DNSMessage {
            DNSMessage(
                id: id, isResponse: flags & 0x8000 != 0, opcode: DNSOpcode(rawValue: UInt8(flags >> 11 & 0x0F)),
                isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
                recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
                authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
                responseCode: DNSResponseCode(rawValue: flags & 0x000F))
        }
    }

    /// The header of `bytes` without its sections, or nil when there are fewer than 12 bytes.
    static func header(of bytes: [UInt8]) -> DNSMessage? {
        var reader = DNSReader(bytes)
        return try? Header(&reader).emptyMessage
    }

    private struct OPTFields {
        var edns: EDNS
        var extendedResponseCode: UInt8
    }

    private static func readRecord(
        _ reader: inout DNSReader, inAdditionals: Bool
    ) throws(DNSParseError) -> (record: DNSResourceRecord, opt: OPTFields?) {
        let start = reader.offset
        let name = try reader.readName()
        let type = DNSRecordType(rawValue: try reader.readUInt16("a record"))
        let recordClass = DNSClass(rawValue: try reader.readUInt16("a record"))
        let ttl = try reader.readUInt32("a record")
        let length = Int(try reader.readUInt16("a record"))
        guard reader.remaining >= length else {
            throw DNSParseError(code: .truncated, message: "message ends inside record data", offset: reader.offset)
        }
        let end = reader.offset + length
        if type == .opt {
            guard inAdditionals, name.isRoot else {
                throw DNSParseError(code: .badOPT, message: "OPT record outside the additional section", offset: start)
            }
            let edns = EDNS(
                udpPayloadSize: recordClass.rawValue, version: UInt8(ttl >> 16 & 0xFF), dnssecOK: ttl & 0x8000 != 0,
                otherFlags: UInt16(ttl & 0x7FFF), options: try reader.readBytes(length, "OPT options"))
            let placeholder = DNSResourceRecord(name: name, ttl: 0, data: .unknown(type: .opt, bytes: []))
            return (placeholder, OPTFields(edns: edns, extendedResponseCode: UInt8(ttl >> 24)))
        }
        let data = try readData(&reader, type: type, length: length)
        guard reader.offset == end else {
            throw DNSParseError(
                code: .badRecordData, message: "\(type) data does not fill its \(length) bytes", offset: start)
        }
        return (DNSResourceRecord(name: name, recordClass: recordClass, ttl: ttl, data: data), nil)
    }

    private static func readData(
        _ reader: inout DNSReader, type: DNSRecordType, length: Int
    ) throws(DNSParseError) -> DNSRecordData {
        let end = reader.offset + length
        func checkEnd(_ reader: DNSReader) throws(DNSParseError) {
            guard reader.offset <= end else {
                throw DNSParseError(code: .badRecordData, message: "\(type) data overruns", offset: reader.offset)
            }
        }
        switch type {
        case .a:
            guard length == 4 else { throw badLength(type, length, reader.offset) }
            return .a(IPv4Address(try reader.readUInt32("an address")))
        case .aaaa:
            guard length == 16, let address = IPv6Address(bytes: try reader.readBytes(16, "an address")) else {
                throw badLength(type, length, reader.offset)
            }
            return .aaaa(address)
        case .cname, .ptr, .ns:
            let name = try reader.readName()
            try checkEnd(reader)
            return type == .cname ? .cname(name) : type == .ptr ? .ptr(name) : .ns(name)
        case .mx:
            let preference = try reader.readUInt16("MX data")
            let exchange = try reader.readName()
            try checkEnd(reader)
            return .mx(preference: preference, exchange: exchange)
        case .srv:
            let priority = try reader.readUInt16("SRV data")
            let weight = try reader.readUInt16("SRV data")
            let port = try reader.readUInt16("SRV data")
            let target = try reader.readName()
            try checkEnd(reader)
            return .srv(priority: priority, weight: weight, port: port, target: target)
        case .soa:
            let primary = try reader.readName()
            let mailbox = try reader.readName()
            try checkEnd(reader)
            let soa = DNSStartOfAuthority(
                primary: primary, mailbox: mailbox, serial: try reader.readUInt32("SOA data"),
                refresh: try reader.readUInt32("SOA data"), retry: try reader.readUInt32("SOA data"),
                expire: try reader.readUInt32("SOA data"), minimum: try reader.readUInt32("SOA data"))
            try checkEnd(reader)
            return .soa(soa)
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.readUInt8("TXT data"))
                strings.append(try reader.readBytes(count, "TXT data"))
            }
            try checkEnd(reader)
            return .txt(strings)
        default:
            if let names = compressibleObsoleteTypes[type.rawValue] {
                // RFC 1035's other types may carry compressed names; expand them so the bytes stay valid anywhere.
                var expanded: [UInt8] = []
                for _ in 0..<names {
                    let name = try reader.readName()
                    try checkEnd(reader)
                    expanded += name.wire + [0]
                }
                return .unknown(type: type, bytes: expanded)
            }
            return .unknown(type: type, bytes: try reader.readBytes(length, "record data"))
        }
    }

    /// MD, MF, MB, MG, MR (one name) and MINFO (two names), by type number.
    private static let compressibleObsoleteTypes: [UInt16: Int] = [3: 1, 4: 1, 7: 1, 8: 1, 9: 1, 14: 2]

    private static func badLength(_ type: DNSRecordType, _ length: Int, _ offset: Int) -> DNSParseError {
        DNSParseError(code: .badRecordData, message: "\(type) data of \(length) bytes", offset: offset)
    }
}
