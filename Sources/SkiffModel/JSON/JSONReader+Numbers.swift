extension JSONReader {
    /// Reads a number starting at the current position (a digit or `-`).
    mutating func readNumber() throws(JSONParseError) -> JSON {
        let start = position
        var i = position
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < end else { throw .unexpectedEnd(at: end) }
        guard Self.isDigit(bytes[i]) else { throw .invalidCharacter(bytes[i], "in numeric literal", at: i) }

        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[i] == UInt8(ascii: "0") {
            // A leading zero stands alone; a digit after it is caught by whoever reads on.
            i += 1
        } else {
            while i < end, Self.isDigit(bytes[i]) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
                magnitude = sum
                overflow = overflow || o1 || o2
                i += 1
            }
        }

        var integral = true
        if i < end, bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < end else { throw .unexpectedEnd(at: end) }
            guard Self.isDigit(bytes[i]) else {
                throw .invalidCharacter(bytes[i], "after decimal point in numeric literal", at: i)
            }
            while i < end, Self.isDigit(bytes[i]) { i += 1 }
        }
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            guard i < end else { throw .unexpectedEnd(at: end) }
            if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                i += 1
                guard i < end else { throw .unexpectedEnd(at: end) }
            }
            guard Self.isDigit(bytes[i]) else {
                throw .invalidCharacter(bytes[i], "in exponent of numeric literal", at: i)
            }
            while i < end, Self.isDigit(bytes[i]) { i += 1 }
        }
        position = i

        if integral && !overflow {
            if !negative {
                if magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            } else if magnitude == 0 {
                return .double(-0.0)  // Int64 has no negative zero; keep the sign.
            } else if magnitude <= UInt64(Int64.max) + 1 {
                return .int(Int64(bitPattern: 0 &- magnitude))
            }
        }
        let literal = UnsafeBufferPointer(rebasing: bytes[start..<i])
        if integral {
            return .bigNumber(String(decoding: literal, as: UTF8.self))
        }
        if let value = Self.exactDouble(literal) {
            return .double(value)
        }
        let text = String(decoding: literal, as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return .bigNumber(text) }
        return .double(value)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Converts a validated number literal when one floating-point operation gives the correctly rounded result
    /// (at most 2^53 in the digits and a power of ten up to 1e22, both exact in a `Double`); nil otherwise.
    static func exactDouble(_ literal: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = literal.count
        var i = 0
        let negative = literal[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var digits: UInt64 = 0
        var significant = 0
        var exponent = 0
        while i < count, isDigit(literal[i]) {
            if digits != 0 || literal[i] != UInt8(ascii: "0") {
                significant += 1
                guard significant <= 19 else { return nil }
                digits = digits &* 10 &+ UInt64(literal[i] &- UInt8(ascii: "0"))
            }
            i += 1
        }
        if i < count, literal[i] == UInt8(ascii: ".") {
            i += 1
            while i < count, isDigit(literal[i]) {
                if digits != 0 || literal[i] != UInt8(ascii: "0") {
                    significant += 1
                    guard significant <= 19 else { return nil }
                    digits = digits &* 10 &+ UInt64(literal[i] &- UInt8(ascii: "0"))
                }
                exponent -= 1
                i += 1
            }
        }
        if i < count {  // the exponent
            i += 1
            var negativeExponent = false
            if literal[i] == UInt8(ascii: "+") || literal[i] == UInt8(ascii: "-") {
                negativeExponent = literal[i] == UInt8(ascii: "-")
                i += 1
            }
            var value = 0
            while i < count {
                value = value * 10 + Int(literal[i] &- UInt8(ascii: "0"))
                guard value < 100_000 else { return nil }
                i += 1
            }
            exponent += negativeExponent ? -value : value
        }
        if digits == 0 {
            return negative ? -0.0 : 0.0
        }
        guard digits <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        var value = Double(digits)
        if exponent < 0 {
            value /= powersOfTen[-exponent]
        } else {
            value *= powersOfTen[exponent]
        }
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
