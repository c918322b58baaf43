import SkiffModel

/// One `matchExpressions`/`matchFields` entry of a node selector term, parsed once so matching does no parsing.
public struct NodeSelectorRequirement: Sendable, Hashable {
    /// The relation between the key and the values.
    public enum Operator: String, Sendable, Hashable {
        /// The value is one of `values`.
        case `in` = "In"
        /// The key is absent or its value is none of `values`.
        case notIn = "NotIn"
        /// The key is present.
        case exists = "Exists"
        /// The key is absent.
        case doesNotExist = "DoesNotExist"
        /// The value, read as an integer, is greater than the single value.
        case gt = "Gt"
        /// The value, read as an integer, is less than the single value.
        case lt = "Lt"
    }

    /// The label key (or field name for `matchFields`).
    public var key: String
    /// The operator; nil when the input spells an unknown one.
    public var `operator`: Operator?
    /// The values.
    public var values: [String]
    /// The bound of `gt`/`lt`, when the single value is an integer.
    let bound: Int64?
    /// Why upstream's parser would reject this requirement; a term holding one matches nothing.
    public let invalidReason: String?

    /// A requirement on a label.
    public init(key: String, operator: Operator?, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = values
        var bound: Int64?
        var reason: String?
        switch `operator` {
        case .in, .notIn:
            if values.isEmpty { reason = "for 'in', 'notin' operators, values set can't be empty" }
        case .exists, .doesNotExist:
            if !values.isEmpty { reason = "values set must be empty for exists and does not exist" }
        case .gt, .lt:
            if values.count != 1 {
                reason = "for 'Gt', 'Lt' operators, exactly one value is required"
            } else if let number = Int64(values[0]) {
                bound = number
            } else {
                reason = "for 'Gt', 'Lt' operators, the value must be an integer"
            }
        case nil:
            reason = "not a valid selector operator"
        }
        self.bound = bound
        self.invalidReason = reason
    }

    /// A requirement from its JSON form.
    public init(json: JSON) {
        self.init(
            key: json["key"].stringValue ?? "",
            operator: Operator(rawValue: json["operator"].stringValue ?? ""),
            values: json["values"].arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// Whether the requirement holds for `labels` (only meaningful when valid).
    public func matches(labels: [String: String]) -> Bool {
        let value = labels[key]
        switch self.operator {
        case .in:
            guard let value else { return false }
            return values.contains(value)
        case .notIn:
            guard let value else { return true }
            return !values.contains(value)
        case .exists:
            return value != nil
        case .doesNotExist:
            return value == nil
        case .gt:
            guard let value, let number = Int64(value), let bound else { return false }
            return number > bound
        case .lt:
            guard let value, let number = Int64(value), let bound else { return false }
            return number < bound
        case nil:
            return false
        }
    }
}
