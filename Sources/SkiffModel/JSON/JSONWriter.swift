#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes ``JSON`` as UTF-8 into a growable buffer that it owns.
///
/// Output matches Go's `encoding/json`: strings escape `"`, `\`, control characters (`\n`, `\r`, `\t`, `\b`, `\f`,
/// else `\u00XX`), U+2028 and U+2029, and by default `<`, `>`, `&`; doubles use the shortest digits that round-trip,
/// with an exponent only below 1e-6 or from 1e21 up.
///
/// A raw buffer rather than `[UInt8]`: appending to an array byte by byte pays a uniqueness and capacity check per
/// byte, which dominated serialization time. The caller copies the result out once and must call ``deallocate()``.
struct JSONWriter {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    let indent: Int
    /// One entry per byte value: nonzero when the byte needs attention inside a string.
    let escapeTable: UnsafePointer<UInt8>

    init(capacity: Int, indent: Int, escapeTable: UnsafePointer<UInt8>) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
        self.indent = indent
        self.escapeTable = escapeTable
    }

    func deallocate() {
        base.deallocate()
    }

    /// The bytes written so far; valid until the next write or ``deallocate()``.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    static let escapeTableHTML: [UInt8] = makeEscapeTable(html: true)
    static let escapeTablePlain: [UInt8] = makeEscapeTable(html: false)

    private static func makeEscapeTable(html: Bool) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256)
        for byte in 0..<0x20 { table[byte] = 1 }
        table[Int(UInt8(ascii: "\""))] = 1
        table[Int(UInt8(ascii: "\\"))] = 1
        table[0xE2] = 1  // may start U+2028 or U+2029
        if html {
            table[Int(UInt8(ascii: "<"))] = 1
            table[Int(UInt8(ascii: ">"))] = 1
            table[Int(UInt8(ascii: "&"))] = 1
        }
        return table
    }

    // MARK: - Buffer

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(extra) }
    }

    private mutating func grow(_ extra: Int) {
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count &+= 1
    }

    @inline(__always)
    private mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
        guard let start = source.baseAddress else { return }
        reserve(source.count)
        (base + count).update(from: start, count: source.count)
        count &+= source.count
    }

    @inline(__always)
    private mutating func ascii(_ text: StaticString) {
        bytes(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func repeated(_ value: UInt8, _ times: Int) {
        guard times > 0 else { return }
        reserve(times)
        (base + count).initialize(repeating: value, count: times)
        count &+= times
    }

    // MARK: - Values

    mutating func write(_ value: JSON) {
        if indent > 0 {
            writePretty(value, level: 0)
        } else {
            writeCompact(value)
        }
    }

    private mutating func writeCompact(_ value: JSON) {
        switch value {
        case .object(let object):
            byte(UInt8(ascii: "{"))
            object.entries.withUnsafeBufferPointer { entries in
                for i in entries.indices {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    writeString(entries[i].key)
                    byte(UInt8(ascii: ":"))
                    writeCompact(entries[i].value)
                }
            }
            byte(UInt8(ascii: "}"))
        case .array(let elements):
            byte(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for i in elements.indices {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    writeCompact(elements[i])
                }
            }
            byte(UInt8(ascii: "]"))
        default:
            writeScalar(value)
        }
    }

    private mutating func writePretty(_ value: JSON, level: Int) {
        switch value {
        case .object(let object):
            guard !object.isEmpty else {
                ascii("{}")
                return
            }
            byte(UInt8(ascii: "{"))
            object.entries.withUnsafeBufferPointer { entries in
                for i in entries.indices {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    newline(level: level + 1)
                    writeString(entries[i].key)
                    ascii(": ")
                    writePretty(entries[i].value, level: level + 1)
                }
            }
            newline(level: level)
            byte(UInt8(ascii: "}"))
        case .array(let elements):
            guard !elements.isEmpty else {
                ascii("[]")
                return
            }
            byte(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for i in elements.indices {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    newline(level: level + 1)
                    writePretty(elements[i], level: level + 1)
                }
            }
            newline(level: level)
            byte(UInt8(ascii: "]"))
        default:
            writeScalar(value)
        }
    }

    private mutating func newline(level: Int) {
        byte(UInt8(ascii: "\n"))
        repeated(UInt8(ascii: " "), level * indent)
    }

    private mutating func writeScalar(_ value: JSON) {
        switch value {
        case .null: ascii("null")
        case .bool(let flag): flag ? ascii("true") : ascii("false")
        case .int(let number): writeInteger(number)
        case .double(let number): writeDouble(number)
        case .bigNumber(let text): writeBigNumber(text)
        case .string(let text): writeString(text)
        case .array, .object: writeCompact(value)
        }
    }

    private mutating func writeInteger(_ number: Int64) {
        reserve(20)
        if number < 0 {
            base[count] = UInt8(ascii: "-")
            count &+= 1
        }
        var magnitude = number.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits &+= 1
        }
        var position = count &+ digits
        count = position
        repeat {
            position &-= 1
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
            magnitude = quotient
        } while magnitude != 0
    }

    /// Go's float64 format: shortest round-trip digits, fixed notation for 1e-6 <= |x| < 1e21, else `d.ddde±x`.
    private mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            ascii("null")  // JSON has no NaN or infinity; Go refuses to marshal them.
            return
        }
        if number.sign == .minus { byte(UInt8(ascii: "-")) }
        if number == 0 {
            byte(UInt8(ascii: "0"))
            return
        }
        let magnitude = number.magnitude
        // Swift's description gives the shortest round-trip digits; only their layout differs from Go's.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var fractionDigits = 0
        var inFraction = false
        var exponent = 0
        var exponentNegative = false
        var inExponent = false
        for character in magnitude.description.utf8 {
            switch character {
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            case UInt8(ascii: "-"):
                exponentNegative = true
            case UInt8(ascii: "+"):
                break
            default:
                if inExponent {
                    exponent = exponent * 10 + Int(character &- UInt8(ascii: "0"))
                } else {
                    if inFraction { fractionDigits += 1 }
                    digits.append(character)
                }
            }
        }
        if exponentNegative { exponent = -exponent }
        var scale = exponent - fractionDigits  // value = digits × 10^scale
        while digits.count > 1, digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            scale += 1
        }
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(min(leadingZeros, digits.count - 1))
        let point = scale + digits.count  // value = 0.digits × 10^point

        digits.withUnsafeBufferPointer { digits in
            if magnitude < 1e-6 || magnitude >= 1e21 {
                byte(digits[0])
                if digits.count > 1 {
                    byte(UInt8(ascii: "."))
                    bytes(UnsafeBufferPointer(rebasing: digits[1...]))
                }
                byte(UInt8(ascii: "e"))
                let decimalExponent = point - 1
                byte(decimalExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                writeInteger(Int64(decimalExponent.magnitude))
            } else if point <= 0 {
                ascii("0.")
                repeated(UInt8(ascii: "0"), -point)
                bytes(digits)
            } else if point >= digits.count {
                bytes(digits)
                repeated(UInt8(ascii: "0"), point - digits.count)
            } else {
                bytes(UnsafeBufferPointer(rebasing: digits[..<point]))
                byte(UInt8(ascii: "."))
                bytes(UnsafeBufferPointer(rebasing: digits[point...]))
            }
        }
    }

    private mutating func writeBigNumber(_ text: String) {
        guard JSONWriter.isNumberLiteral(text) else {
            ascii("null")
            return
        }
        for character in text.utf8 { byte(character) }
    }

    /// Whether `text` is exactly one JSON number.
    static func isNumberLiteral(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digitRun(_ bytes: inout Substring.UTF8View) -> Int {
            let run = bytes.prefix { JSONReader.isDigit($0) }.count
            bytes = bytes.dropFirst(run)
            return run
        }
        guard let first = bytes.first, JSONReader.isDigit(first) else { return false }
        if first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else {
            _ = digitRun(&bytes)
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digitRun(&bytes) > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digitRun(&bytes) > 0 else { return false }
        }
        return bytes.isEmpty
    }

    // MARK: - Strings

    private mutating func writeString(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { writeQuoted($0) }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBufferPointer { writeQuoted($0) }
        }
    }

    /// Writes a quoted, escaped string: ordinary bytes are copied straight through, the rest escaped.
    ///
    /// The output position lives in a local while scanning: stores through a byte pointer may alias `self` as far
    /// as the optimizer knows, so keeping it in `count` forces a reload and a store per byte.
    private mutating func writeQuoted(_ source: UnsafeBufferPointer<UInt8>) {
        let length = source.count
        // Room for the quotes and the string unescaped; each escape reserves more for itself.
        reserve(length &+ 2)
        let table = escapeTable
        var out = base + count
        out.pointee = UInt8(ascii: "\"")
        out += 1
        var i = 0
        while i < length {
            let character = source[i]
            if table[Int(character)] == 0 {
                out.pointee = character
                out += 1
                i &+= 1
                continue
            }
            // The longest escape takes six bytes for one; keep room for the rest and the closing quote.
            count = out - base
            reserve(6 &+ (length &- i) &+ 1)
            out = base + count
            var consumed = 1
            let escape: StaticString
            switch character {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0xE2:
                // U+2028 and U+2029 are valid JSON but end lines in JavaScript; Go escapes them.
                guard i &+ 2 < length, source[i &+ 1] == 0x80, source[i &+ 2] == 0xA8 || source[i &+ 2] == 0xA9 else {
                    out.pointee = character
                    out += 1
                    i &+= 1
                    continue
                }
                escape = source[i &+ 2] == 0xA8 ? "\\u2028" : "\\u2029"
                consumed = 3
            default:
                // Other control characters and, when escaping HTML, < > &.
                let hex: StaticString = "0123456789abcdef"
                out[0] = UInt8(ascii: "\\")
                out[1] = UInt8(ascii: "u")
                out[2] = UInt8(ascii: "0")
                out[3] = UInt8(ascii: "0")
                out[4] = hex.utf8Start[Int(character >> 4)]
                out[5] = hex.utf8Start[Int(character & 0x0F)]
                out += 6
                i &+= 1
                continue
            }
            out.update(from: escape.utf8Start, count: escape.utf8CodeUnitCount)
            out += escape.utf8CodeUnitCount
            i &+= consumed
        }
        out.pointee = UInt8(ascii: "\"")
        out += 1
        count = out - base
    }
}
