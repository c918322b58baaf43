extension Quantity {
    /// The canonical form (upstream `String`): no fractional digits, the largest suffix that loses nothing, the
    /// parsed text itself where upstream keeps it.
    public var description: String {
        if let cachedText { return cachedText }
        return canonical
    }

    /// The canonical form, ignoring any kept input text.
    public var canonical: String {
        if nanos == 0 { return "0" }
        var format = format
        if format == .binarySI {
            let magnitude = nanos.magnitude
            if magnitude < 1024 * UInt128(Self.nanosPerUnit) || nanos % Self.nanosPerUnit != 0 {
                format = .decimalSI
            }
        }
        switch format {
        case .binarySI:
            var units = nanos / Self.nanosPerUnit
            var exponent = 0
            while units % 1024 == 0 && exponent < 60 {
                units /= 1024
                exponent += 10
            }
            return String(units) + Self.binarySuffixes[exponent / 10]
        case .decimalSI, .decimalExponent:
            var mantissa = nanos
            var exponent = -9
            while mantissa % 10 == 0 {
                mantissa /= 10
                exponent += 1
            }
            while exponent % 3 != 0 {
                mantissa *= 10
                exponent -= 1
            }
            if format == .decimalSI, let suffix = Self.decimalSuffixes[exponent] {
                return String(mantissa) + suffix
            }
            // Upstream prints no suffix at all for DecimalSI beyond E (a bug); the exponent form keeps the value.
            return String(mantissa) + (exponent == 0 ? "" : "e\(exponent)")
        }
    }

    private static let binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    private static let decimalSuffixes: [Int: String] = [
        -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E",
    ]
}
