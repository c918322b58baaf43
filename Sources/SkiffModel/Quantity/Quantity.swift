/// A `resource.Quantity` ("100m", "1.5", "2Gi", "1e3", "500Mi", "1k"): an exact fixed-point number with the
/// suffix style it was written in, printed in upstream's canonical form ("1.5" prints as "1500m").
///
/// The value is kept in nano units in an `Int128`, so precision below 1n rounds up (away from zero) as upstream
/// rounds, and magnitudes up to about 1.7e29 are exact. Equality and ordering compare values, not spellings.
public struct Quantity: Sendable, CustomStringConvertible {
    /// The suffix style used when printing.
    public enum Format: String, Sendable, Hashable {
        /// `12e6`.
        case decimalExponent = "DecimalExponent"
        /// `12Mi` (powers of 1024).
        case binarySI = "BinarySI"
        /// `12M` (powers of 1000), and `m`, `u`, `n` below one.
        case decimalSI = "DecimalSI"
    }

    /// The value in units of 10⁻⁹.
    public private(set) var nanos: Int128
    /// The suffix style used when printing.
    public var format: Format
    /// The input text, kept where upstream prints a parsed quantity exactly as written.
    var cachedText: String?

    static let nanosPerUnit: Int128 = 1_000_000_000

    /// A quantity of `nanos` units of 10⁻⁹.
    public init(nanos: Int128, format: Format = .decimalSI) {
        self.nanos = nanos
        self.format = format
        cachedText = nil
    }

    /// A whole number, like upstream `NewQuantity`.
    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(nanos: Int128(value) * Self.nanosPerUnit, format: format)
    }

    /// Thousandths, like upstream `NewMilliQuantity`.
    public init(milli: Int64, format: Format = .decimalSI) {
        self.init(nanos: Int128(milli) * 1_000_000, format: format)
    }

    /// Zero.
    public static let zero = Quantity(nanos: 0)

    /// Whether the value is zero.
    public var isZero: Bool { nanos == 0 }

    /// -1, 0 or 1.
    public var sign: Int { nanos == 0 ? 0 : (nanos < 0 ? -1 : 1) }

    /// The value in whole units, rounded away from zero (upstream `Value`), clamped to `Int64`.
    public var value: Int64 { scaled(by: Self.nanosPerUnit) }

    /// The value in thousandths, rounded away from zero (upstream `MilliValue`), clamped to `Int64`.
    public var milliValue: Int64 { scaled(by: 1_000_000) }

    /// The value as a `Double` (approximate).
    public var doubleValue: Double { Double(nanos) / 1e9 }

    private func scaled(by divisor: Int128) -> Int64 {
        var (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: divisor)
        if remainder > 0 { quotient += 1 }
        if remainder < 0 { quotient -= 1 }
        return Int64(clamping: quotient)
    }

    /// The quantity as the JSON string objects carry.
    public var json: JSON { .string(description) }

    /// The sum; takes the right-hand format when the left side is zero, as upstream `Add` does.
    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        let (sum, overflow) = lhs.nanos.addingReportingOverflow(rhs.nanos)
        let value = overflow ? (rhs.nanos > 0 ? Int128.max : Int128.min) : sum
        return Quantity(nanos: value, format: lhs.isZero ? rhs.format : lhs.format)
    }

    /// The difference.
    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity {
        let (difference, overflow) = lhs.nanos.subtractingReportingOverflow(rhs.nanos)
        let value = overflow ? (rhs.nanos < 0 ? Int128.max : Int128.min) : difference
        return Quantity(nanos: value, format: lhs.isZero ? rhs.format : lhs.format)
    }

    /// Adds in place.
    public static func += (lhs: inout Quantity, rhs: Quantity) { lhs = lhs + rhs }

    /// Subtracts in place.
    public static func -= (lhs: inout Quantity, rhs: Quantity) { lhs = lhs - rhs }

    /// The negation.
    public static prefix func - (operand: Quantity) -> Quantity {
        Quantity(nanos: operand.nanos == Int128.min ? Int128.max : -operand.nanos, format: operand.format)
    }
}

extension Quantity: Hashable, Comparable {
    /// Equal values are equal whatever their spelling (`1k == 1000`), like upstream `Equal`.
    public static func == (lhs: Quantity, rhs: Quantity) -> Bool { lhs.nanos == rhs.nanos }

    /// Hashes the value only, to agree with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(nanos) }

    /// Orders by value, like upstream `Cmp`.
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.nanos < rhs.nanos }
}
