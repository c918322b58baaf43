/// A resource record of the answer, authority or additional section (OPT excepted: see ``DNSMessage/edns``).
public struct DNSResourceRecord: Sendable, Hashable, CustomStringConvertible {
    /// The owner name.
    public var name: DNSName
    /// The class, IN in practice.
    public var recordClass: DNSClass
    /// Seconds the record may be cached.
    public var ttl: UInt32
    /// The typed data.
    public var data: DNSRecordData

    /// Creates a record.
    public init(name: DNSName, recordClass: DNSClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// The record's type, which its data determines.
    public var type: DNSRecordType { data.type }

    public var description: String { "\(name) \(ttl) \(recordClass) \(type) \(data)" }
}

/// The typed data of a record. Types this codec does not model travel as ``unknown(type:bytes:)``, byte for byte.
public enum DNSRecordData: Sendable, Hashable, CustomStringConvertible {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(DNSName)
    case ptr(DNSName)
    case ns(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    case soa(DNSStartOfAuthority)
    /// Character strings of up to 255 bytes each.
    case txt([[UInt8]])
    /// Any other type, its data uninterpreted (with compressed names of RFC 1035's obsolete types expanded).
    case unknown(type: DNSRecordType, bytes: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ptr: .ptr
        case .ns: .ns
        case .mx: .mx
        case .srv: .srv
        case .soa: .soa
        case .txt: .txt
        case .unknown(let type, _): type
        }
    }

    public var description: String {
        switch self {
        case .a(let address): "\(address)"
        case .aaaa(let address): "\(address)"
        case .cname(let name), .ptr(let name), .ns(let name): "\(name)"
        case .mx(let preference, let exchange): "\(preference) \(exchange)"
        case .srv(let priority, let weight, let port, let target): "\(priority) \(weight) \(port) \(target)"
        case .soa(let soa):
            "\(soa.primary) \(soa.mailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .txt(let strings): strings.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: " ")
        case .unknown(_, let bytes): "\\# \(bytes.count)"
        }
    }
}

/// The data of an SOA record; `minimum` is the TTL of negative answers (RFC 2308).
public struct DNSStartOfAuthority: Sendable, Hashable {
    /// The zone's primary name server.
    public var primary: DNSName
    /// The administrator's mailbox, `@` written as a dot.
    public var mailbox: DNSName
    /// The zone's version.
    public var serial: UInt32
    /// Seconds between secondary refreshes.
    public var refresh: UInt32
    /// Seconds before a failed refresh is retried.
    public var retry: UInt32
    /// Seconds a secondary serves without a refresh.
    public var expire: UInt32
    /// The TTL of negative answers.
    public var minimum: UInt32

    /// Creates SOA data.
    public init(
        primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The EDNS(0) pseudo-record (OPT, RFC 6891), kept apart from the additional records.
public struct EDNS: Sendable, Hashable {
    /// The largest UDP reply the sender can take.
    public var udpPayloadSize: UInt16
    /// The EDNS version; only 0 exists.
    public var version: UInt8
    /// DNSSEC OK: the sender wants signatures.
    public var dnssecOK: Bool
    /// The flag bits other than DO, kept to echo faithfully.
    public var otherFlags: UInt16
    /// The options, uninterpreted.
    public var options: [UInt8]

    /// Creates an OPT record's fields; the defaults are what this server advertises.
    public init(
        udpPayloadSize: UInt16 = 1232, version: UInt8 = 0, dnssecOK: Bool = false, otherFlags: UInt16 = 0,
        options: [UInt8] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags
        self.options = options
    }
}
