/// A domain name, held in wire form (length-prefixed labels, without the root's zero byte).
///
/// Names compare and hash case-insensitively (ASCII only, as DNS does) but keep the case they were given, so a reply
/// can echo a query's spelling. A name is at most 255 bytes in wire form, root byte included, and each label at most
/// 63 bytes; every initializer checks both.
public struct DNSName: Sendable {
    /// The labels in wire form, each preceded by its length; empty for the root.
    public let wire: [UInt8]

    /// The root name, `.`.
    public static let root = DNSName(checkedWire: [])

    /// The longest name in wire form, root byte included.
    public static let maxWireLength = 255
    /// The longest label.
    public static let maxLabelLength = 63

    /// Wraps wire bytes the caller has already validated.
    init(checkedWire: [UInt8]) {
        self.wire = checkedWire
    }

    /// A name from its labels, leftmost first.
    public init(labels: some Sequence<some Collection<UInt8>>) throws(DNSParseError) {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty else {
                throw DNSParseError(code: .badText, message: "empty label", offset: wire.count)
            }
            guard label.count <= Self.maxLabelLength else {
                throw DNSParseError(code: .labelTooLong, message: "label of \(label.count) bytes", offset: wire.count)
            }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        guard wire.count < Self.maxWireLength else {
            throw DNSParseError(code: .nameTooLong, message: "name of \(wire.count + 1) bytes", offset: wire.count)
        }
        self.wire = wire
    }

    /// A name from presentation text, `web.default.svc.cluster.local` with or without the final dot; `\.` and
    /// `\DDD` escapes are understood. `""` and `"."` are the root.
    public init(_ text: String) throws(DNSParseError) {
        var labels: [[UInt8]] = []
        var label: [UInt8] = []
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: ".") {
                guard !label.isEmpty else { throw DNSParseError(code: .badText, message: "empty label", offset: i) }
                labels.append(label)
                label = []
            } else if byte == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else {
                    throw DNSParseError(code: .badText, message: "escape at the end", offset: i)
                }
                if let value = Self.decimalEscape(bytes, at: i) {
                    label.append(value)
                    i += 2
                } else {
                    label.append(bytes[i])
                }
            } else {
                label.append(byte)
            }
            i += 1
        }
        if !label.isEmpty { labels.append(label) }
        try self.init(labels: labels)
    }

    private static func decimalEscape(_ bytes: [UInt8], at i: Int) -> UInt8? {
        guard i + 2 < bytes.count else { return nil }
        var value = 0
        for byte in bytes[i...(i + 2)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }

    /// Whether this is the root name.
    public var isRoot: Bool { wire.isEmpty }

    /// The length in wire form, root byte included.
    public var wireLength: Int { wire.count + 1 }

    /// The number of labels; zero for the root.
    public var labelCount: Int {
        var count = 0
        var i = 0
        while i < wire.count {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    /// The labels, leftmost first, as slices of ``wire``.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while i < wire.count {
            let length = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return result
    }

    /// The leftmost label; empty for the root.
    public var firstLabel: ArraySlice<UInt8> {
        guard let length = wire.first else { return [] }
        return wire[1..<(1 + Int(length))]
    }

    /// The name without its leftmost label; nil for the root.
    public var parent: DNSName? {
        guard let length = wire.first else { return nil }
        return DNSName(checkedWire: Array(wire[(1 + Int(length))...]))
    }

    /// This name with `label` in front.
    public func prepending(_ label: some Collection<UInt8>) throws(DNSParseError) -> DNSName {
        guard !label.isEmpty else { throw DNSParseError(code: .badText, message: "empty label", offset: 0) }
        guard label.count <= Self.maxLabelLength else {
            throw DNSParseError(code: .labelTooLong, message: "label of \(label.count) bytes", offset: 0)
        }
        guard wire.count + 1 + label.count < Self.maxWireLength else {
            throw DNSParseError(code: .nameTooLong, message: "name too long", offset: 0)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(wire.count + 1 + label.count)
        bytes.append(UInt8(label.count))
        bytes.append(contentsOf: label)
        bytes.append(contentsOf: wire)
        return DNSName(checkedWire: bytes)
    }

    /// This name with a label given as text in front.
    public func prepending(_ label: String) throws(DNSParseError) -> DNSName {
        try prepending(Array(label.utf8))
    }

    /// Whether this name is `other` or lies below it.
    public func isSubdomain(of other: DNSName) -> Bool {
        let tail = other.wire.count
        guard wire.count >= tail else { return false }
        var i = 0
        while wire.count - i > tail {
            i += 1 + Int(wire[i])
        }
        guard wire.count - i == tail else { return false }
        return Self.foldedEqual(wire[i...], other.wire[...])
    }

    /// The number of labels this name has in front of `ancestor`, or nil when it does not lie under it.
    public func labelCount(below ancestor: DNSName) -> Int? {
        guard isSubdomain(of: ancestor) else { return nil }
        var count = 0
        var i = 0
        while wire.count - i > ancestor.wire.count {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    @inline(__always) static func fold(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    static func foldedEqual(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex {
            let x = a[i]
            let y = b[j]
            if x != y && fold(x) != fold(y) { return false }
            i += 1
            j += 1
        }
        return true
    }

    /// The name with ASCII letters lowered.
    public func lowercased() -> DNSName {
        DNSName(checkedWire: wire.map(Self.fold))
    }
}

extension DNSName: Hashable {
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        foldedEqual(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        // Eight folded bytes a word: hashing is on every zone lookup.
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in wire {
            word |= UInt64(Self.fold(byte)) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
        }
        hasher.combine(word)
        hasher.combine(wire.count)
    }
}

extension DNSName: CustomStringConvertible {
    /// Presentation text with the final dot; dots, backslashes and non-printable bytes inside labels escaped.
    public var description: String {
        if wire.isEmpty { return "." }
        var text: [UInt8] = []
        text.reserveCapacity(wire.count + 1)
        var i = 0
        while i < wire.count {
            let length = Int(wire[i])
            for byte in wire[(i + 1)..<(i + 1 + length)] {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
                    UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    text.append(UInt8(ascii: "\\"))
                    text.append(byte)
                case 0x21...0x7E:
                    text.append(byte)
                default:
                    text.append(UInt8(ascii: "\\"))
                    text.append(UInt8(ascii: "0") + byte / 100)
                    text.append(UInt8(ascii: "0") + byte / 10 % 10)
                    text.append(UInt8(ascii: "0") + byte % 10)
                }
            }
            text.append(UInt8(ascii: "."))
            i += 1 + length
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension DNSName {
    /// A name from text known to be valid (a constant in this module); traps otherwise.
    init(constant text: String) {
        do {
            try self.init(text)
        } catch {
            preconditionFailure("invalid DNS name constant \(text): \(error)")
        }
    }
}
