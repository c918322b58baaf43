import SkiffModel

/// Upstream `intstr.GetScaledValueFromIntOrPercent`: an integer, or a `"N%"` string scaled against a total.
public enum IntOrPercent {
    /// The value of `value` against `total`; percentages round up or down as asked; nil when malformed.
    public static func scaled(_ value: JSON, total: Int, roundUp: Bool) -> Int? {
        switch value {
        case .int(let number):
            return Int(number)
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else {
                // A plain number in a string is not accepted upstream either ("must be an integer or percentage").
                return nil
            }
            let exact = Double(percent) * Double(total) / 100
            return Int(roundUp ? exact.rounded(.up) : exact.rounded(.down))
        default:
            return nil
        }
    }
}
