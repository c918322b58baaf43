extension Quantity {
    /// Parses `<signedNumber><suffix>` (upstream `ParseQuantity`): suffixes `n u m "" k M G T P E`, `Ki … Ei`, or
    /// `e<int>`/`E<int>`. Precision below 1n rounds up; BinarySI values are capped at 2⁶³-1.
    public init(parsing text: String) throws(QuantityError) {
        if text.isEmpty { throw QuantityError(.formatWrong) }
        if text == "0" {
            self.init(nanos: 0, format: .decimalSI)
            cachedText = text
            return
        }
        let parts = try Self.split(Array(text.utf8))
        guard let (base, exponent, suffixFormat) = Self.interpret(parts.suffix) else { throw QuantityError(.suffix) }

        var magnitude = try Self.magnitude(
            digits: parts.number + parts.fraction, fractionDigits: parts.fraction.count, base: base, exponent: exponent)
        var format = suffixFormat
        let maxBinary = Int128(Int64.max) * Self.nanosPerUnit
        if format == .binarySI && magnitude > maxBinary { magnitude = maxBinary }
        if format == .binarySI && magnitude > 0 && magnitude < Self.nanosPerUnit { format = .decimalSI }
        self.init(nanos: parts.positive ? magnitude : -magnitude, format: format)
        if Self.keepsText(parts, base: base, exponent: exponent) { cachedText = text }
    }

    /// A quantity from a JSON value: a string, or a number (OpenAPI allows both).
    public init(json: JSON) throws(QuantityError) {
        switch json {
        case .string(let text): try self.init(parsing: text)
        case .int(let number): try self.init(parsing: String(number))
        case .double, .bigNumber: try self.init(parsing: json.serializedString())
        default: throw QuantityError(.formatWrong)
        }
    }

    struct Parts {
        var positive: Bool
        /// Integer digits without leading zeros ("0" when none).
        var number: [UInt8]
        var fraction: [UInt8]
        var suffix: [UInt8]
    }

    /// Upstream `parseQuantityString`.
    static func split(_ bytes: [UInt8]) throws(QuantityError) -> Parts {
        let zero = UInt8(ascii: "0")
        let isDigit: (UInt8) -> Bool = { $0 >= zero && $0 <= UInt8(ascii: "9") }
        var parts = Parts(positive: true, number: [zero], fraction: [], suffix: [])
        var position = 0
        let end = bytes.count
        if position < end {
            if bytes[0] == UInt8(ascii: "-") {
                parts.positive = false
                position += 1
            } else if bytes[0] == UInt8(ascii: "+") {
                position += 1
            }
        }
        while position < end && bytes[position] == zero { position += 1 }
        if position >= end { return parts }
        let numberStart = position
        while position < end && isDigit(bytes[position]) { position += 1 }
        if position > numberStart { parts.number = Array(bytes[numberStart..<position]) }
        if position >= end { return parts }
        if bytes[position] == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            while position < end && isDigit(bytes[position]) { position += 1 }
            parts.fraction = Array(bytes[fractionStart..<position])
            if position >= end { return parts }
        }
        let suffixStart = position
        let suffixLetters = Array("eEinumkKMGTP".utf8)
        while position < end && suffixLetters.contains(bytes[position]) { position += 1 }
        if position < end && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
            position += 1
        }
        while position < end && isDigit(bytes[position]) { position += 1 }
        guard position >= end else { throw QuantityError(.formatWrong) }
        parts.suffix = Array(bytes[suffixStart..<end])
        return parts
    }

    /// The base, exponent and format of a suffix (upstream `quantitySuffixer.interpret`).
    static func interpret(_ suffix: [UInt8]) -> (base: Int, exponent: Int, format: Format)? {
        switch String(decoding: suffix, as: UTF8.self) {
        case "": return (10, 0, .decimalSI)
        case "n": return (10, -9, .decimalSI)
        case "u": return (10, -6, .decimalSI)
        case "m": return (10, -3, .decimalSI)
        case "k": return (10, 3, .decimalSI)
        case "M": return (10, 6, .decimalSI)
        case "G": return (10, 9, .decimalSI)
        case "T": return (10, 12, .decimalSI)
        case "P": return (10, 15, .decimalSI)
        case "E": return (10, 18, .decimalSI)
        case "Ki": return (2, 10, .binarySI)
        case "Mi": return (2, 20, .binarySI)
        case "Gi": return (2, 30, .binarySI)
        case "Ti": return (2, 40, .binarySI)
        case "Pi": return (2, 50, .binarySI)
        case "Ei": return (2, 60, .binarySI)
        default:
            guard suffix.count > 1, suffix[0] == UInt8(ascii: "e") || suffix[0] == UInt8(ascii: "E"),
                let exponent = Int(String(decoding: suffix.dropFirst(), as: UTF8.self))
            else { return nil }
            return (10, exponent, .decimalExponent)
        }
    }

    /// |value| in nanos, rounded up: `digits` is the number with the decimal point removed.
    static func magnitude(digits: [UInt8], fractionDigits: Int, base: Int, exponent: Int) throws(QuantityError)
        -> Int128
    {
        let significant = Array(digits.drop { $0 == UInt8(ascii: "0") })
        if significant.isEmpty { return 0 }
        if base == 2 {
            // value = digits × 2^exponent × 10^(9 - fractionDigits)
            var value = try integer(significant)
            value = try multiply(value, by: Int128(1) << exponent)
            let shift = 9 - fractionDigits
            if shift >= 0 { return try multiply(value, by: try power(shift)) }
            return try divideRoundingUp(value, by: try power(-shift))
        }
        let scale = exponent - fractionDigits + 9
        if scale >= 0 {
            guard scale <= 40 else { throw QuantityError(.tooLarge) }
            return try multiply(try integer(significant), by: try power(scale))
        }
        let dropped = -scale
        if dropped >= significant.count { return 1 }
        let kept = try integer(Array(significant.dropLast(dropped)))
        let remainderIsZero = significant.suffix(dropped).allSatisfy { $0 == UInt8(ascii: "0") }
        return remainderIsZero ? kept : kept + 1
    }

    private static func integer(_ digits: [UInt8]) throws(QuantityError) -> Int128 {
        var value: Int128 = 0
        for digit in digits {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int128(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw QuantityError(.tooLarge) }
            value = sum
        }
        return value
    }

    private static func power(_ exponent: Int) throws(QuantityError) -> Int128 {
        guard exponent <= 38 else { throw QuantityError(.tooLarge) }
        var value: Int128 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func multiply(_ a: Int128, by b: Int128) throws(QuantityError) -> Int128 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw QuantityError(.tooLarge) }
        return product
    }

    private static func divideRoundingUp(_ a: Int128, by b: Int128) throws(QuantityError) -> Int128 {
        let (quotient, remainder) = a.quotientAndRemainder(dividingBy: b)
        return remainder == 0 ? quotient : quotient + 1
    }

    /// Whether upstream's fast path keeps the input text as the printed form: already canonical-looking input
    /// (`100m`, `1e3`, `500Mi`) prints as written.
    static func keepsText(_ parts: Parts, base: Int, exponent: Int) -> Bool {
        let shifted = parts.number + parts.fraction
        if base == 10 {
            let precision = 18 - shifted.count
            let scale = exponent - parts.fraction.count
            guard precision >= 0, scale >= -9 else { return false }
            let endsInThousand = shifted.count >= 3 && shifted.suffix(3).allSatisfy { $0 == UInt8(ascii: "0") }
            return scale % 3 == 0 && !endsInThousand && shifted.first != UInt8(ascii: "0")
        }
        guard exponent >= 0, parts.fraction.isEmpty else { return false }
        let precision = 15 - parts.number.count - Int(Float(exponent) * 3 / 10) - 1
        guard precision >= 0, let value = Int64(String(decoding: parts.number, as: UTF8.self)) else { return false }
        guard value.multipliedReportingOverflow(by: Int64(1) << exponent).overflow == false else { return false }
        return exponent % 10 == 0 && value & 7 != 0
    }
}
