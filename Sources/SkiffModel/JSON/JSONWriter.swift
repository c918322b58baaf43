/// Writes ``JSON`` into a byte array.
///
/// Output matches Go's `encoding/json`: strings escape `"`, `\`, control characters (`\n`, `\r`, `\t`, `\b`, `\f`,
/// else `\u00XX`), U+2028 and U+2029, and by default `<`, `>`, `&`; doubles use the shortest digits that round-trip,
/// with an exponent only below 1e-6 or from 1e21 up.
struct JSONWriter {
    var output: [UInt8]
    let indent: Int
    /// One entry per byte value: nonzero when the byte needs attention inside a string.
    let escapeTable: UnsafePointer<UInt8>

    init(output: consuming [UInt8], indent: Int, escapeTable: UnsafePointer<UInt8>) {
        self.output = output
        self.indent = indent
        self.escapeTable = escapeTable
    }

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
            output.append(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeString(entry.key)
                output.append(UInt8(ascii: ":"))
                writeCompact(entry.value)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeCompact(element)
            }
            output.append(UInt8(ascii: "]"))
        default:
            writeScalar(value)
        }
    }

    private mutating func writePretty(_ value: JSON, level: Int) {
        switch value {
        case .object(let object):
            guard !object.isEmpty else {
                appendASCII("{}")
                return
            }
            output.append(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                newline(level: level + 1)
                writeString(entry.key)
                appendASCII(": ")
                writePretty(entry.value, level: level + 1)
            }
            newline(level: level)
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            guard !elements.isEmpty else {
                appendASCII("[]")
                return
            }
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                newline(level: level + 1)
                writePretty(element, level: level + 1)
            }
            newline(level: level)
            output.append(UInt8(ascii: "]"))
        default:
            writeScalar(value)
        }
    }

    private mutating func newline(level: Int) {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * indent))
    }

    private mutating func writeScalar(_ value: JSON) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let flag): flag ? appendASCII("true") : appendASCII("false")
        case .int(let number): writeInteger(number)
        case .double(let number): writeDouble(number)
        case .bigNumber(let text): writeBigNumber(text)
        case .string(let text): writeString(text)
        case .array, .object: writeCompact(value)
        }
    }

    @inline(__always)
    private mutating func appendASCII(_ text: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func writeInteger(_ number: Int64) {
        if number >= 0 && number < 10 {
            output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: number))
            return
        }
        if number < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            repeat {
                i -= 1
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                digits[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
                magnitude = quotient
            } while magnitude != 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i..<20]))
        }
    }

    /// Go's float64 format: shortest round-trip digits, fixed notation for 1e-6 <= |x| < 1e21, else `d.ddde±x`.
    private mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            appendASCII("null")  // JSON has no NaN or infinity; Go refuses to marshal them.
            return
        }
        if number.sign == .minus { output.append(UInt8(ascii: "-")) }
        if number == 0 {
            output.append(UInt8(ascii: "0"))
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
        for byte in magnitude.description.utf8 {
            switch byte {
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
                    exponent = exponent * 10 + Int(byte &- UInt8(ascii: "0"))
                } else {
                    if inFraction { fractionDigits += 1 }
                    digits.append(byte)
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

        if magnitude < 1e-6 || magnitude >= 1e21 {
            output.append(digits[0])
            if digits.count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            let decimalExponent = point - 1
            output.append(decimalExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            writeInteger(Int64(decimalExponent.magnitude))
        } else if point <= 0 {
            appendASCII("0.")
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
            output.append(contentsOf: digits)
        } else if point >= digits.count {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - digits.count))
        } else {
            output.append(contentsOf: digits[..<point])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[point...])
        }
    }

    private mutating func writeBigNumber(_ text: String) {
        guard JSONWriter.isNumberLiteral(text) else {
            appendASCII("null")
            return
        }
        output.append(contentsOf: text.utf8)
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

    private mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { writeEscaped($0) }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBufferPointer { writeEscaped($0) }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Copies runs of ordinary bytes in bulk and escapes the rest.
    private mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
        var runStart = 0
        var i = 0
        while i < count {
            let byte = bytes[i]
            if escapeTable[Int(byte)] == 0 {
                i &+= 1
                continue
            }
            if byte == 0xE2 {
                // U+2028 and U+2029 are valid JSON but end lines in JavaScript; Go escapes them.
                guard i + 2 < count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 else {
                    i &+= 1
                    continue
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                appendASCII(bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                i &+= 3
                runStart = i
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            switch byte {
            case UInt8(ascii: "\""): appendASCII("\\\"")
            case UInt8(ascii: "\\"): appendASCII("\\\\")
            case 0x0A: appendASCII("\\n")
            case 0x0D: appendASCII("\\r")
            case 0x09: appendASCII("\\t")
            case 0x08: appendASCII("\\b")
            case 0x0C: appendASCII("\\f")
            default:
                // Other control characters and, when escaping HTML, < > &.
                let hex: StaticString = "0123456789abcdef"
                appendASCII("\\u00")
                output.append(hex.utf8Start[Int(byte >> 4)])
                output.append(hex.utf8Start[Int(byte & 0x0F)])
            }
            i &+= 1
            runStart = i
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
    }
}
