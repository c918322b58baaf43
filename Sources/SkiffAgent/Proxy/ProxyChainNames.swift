/// Chain and set names for one Service port: a fixed prefix, a short hash of what identifies the object (so names
/// are unique and stable), and a readable `namespace/service/protocol/port` part for people reading `nft list`.
///
/// Names only use letters, digits and `-_./`, start with a letter, and stay far below nft's 255-byte limit.
struct ProxyChainNames: Sendable {
    /// `<hash>-<namespace>/<service>/<protocol>/<port name or number>`, shared by the port's chains.
    let base: String
    private let id: String
    private let readable: String

    /// The longest readable part kept; the hash keeps truncated names unique.
    static let readableLimit = 64

    init(_ port: ServiceProxyState.ServicePort) {
        id = port.id
        let label = port.portName.isEmpty ? String(port.port) : port.portName
        readable = Self.sanitized("\(port.namespace)/\(port.service)/\(port.transport.rawValue)/\(label)")
        base = "\(Self.hash(id))-\(readable)"
    }

    /// Where cluster traffic for the port goes: masquerade if needed, affinity, then a random endpoint.
    var service: String { "service-\(base)" }
    /// Where node-port and load-balancer traffic goes first.
    var external: String { "external-\(base)" }
    /// Node-local endpoints only, for `externalTrafficPolicy: Local`.
    var local: String { "local-\(base)" }

    /// The chain that DNATs to `endpoint`.
    func endpoint(_ endpoint: ServiceProxyState.Endpoint) -> String {
        "endpoint-\(Self.hash("\(id)__\(endpoint)"))-\(readable)__\(endpoint.address)/\(endpoint.port)"
    }

    /// The session-affinity set of `endpoint`. The timeout is part of the name, so a timeout change is a new set
    /// (nft cannot change a set's timeout in place).
    func affinity(_ endpoint: ServiceProxyState.Endpoint, timeout: Int) -> String {
        "affinity-\(Self.hash("\(id)__\(endpoint)__\(timeout)"))-\(readable)__\(endpoint.address)/\(endpoint.port)"
    }

    /// Characters nft identifiers allow, others replaced by `_`, cut to `readableLimit`.
    static func sanitized(_ text: String) -> String {
        let allowed = text.unicodeScalars.prefix(readableLimit).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/": Character(scalar)
            default: "_"
            }
        }
        return String(allowed)
    }

    /// Eight base32 characters (40 bits) of the 64-bit FNV-1a hash of `text`.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<8).map { alphabet[Int(value >> UInt64(59 - 5 * $0) & 31)] })
    }
}
