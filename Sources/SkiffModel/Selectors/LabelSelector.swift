/// A label selector: requirements that all must hold (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), parsed from the
/// `labelSelector` query parameter or built from a `metav1.LabelSelector` object.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// A relation between a label and values, named as upstream's `selection.Operator`.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        /// `!key`.
        case doesNotExist = "!"
        /// `key=value`.
        case equals = "="
        /// `key==value`.
        case doubleEquals = "=="
        /// `key in (a,b)`.
        case `in` = "in"
        /// `key!=value`.
        case notEquals = "!="
        /// `key notin (a,b)`.
        case notIn = "notin"
        /// `key`.
        case exists = "exists"
        /// `key>5` (integers).
        case greaterThan = "gt"
        /// `key<5` (integers).
        case lessThan = "lt"
    }

    /// One requirement on one label.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        /// The label key.
        public let key: String
        /// The relation.
        public let `operator`: Operator
        /// The values; one for the exact-match operators, none for the existence operators.
        public let values: [String]

        /// A validated requirement (upstream `labels.NewRequirement`).
        public init(key: String, operator: Operator, values: [String]) throws(SelectorError) {
            try self.init(key: key, operator: `operator`, values: values, keyPath: "key")
        }

        init(key: String, operator: Operator, values: [String], keyPath: String?) throws(SelectorError) {
            var errors: [String] = []
            if let keyPath, let error = LabelValidation.keyError(key, path: keyPath) {
                errors.append(error)
            }
            let badValues = "values: Invalid value: " + LabelValidation.goSliceLiteral(values)
            switch `operator` {
            case .in, .notIn:
                if values.isEmpty {
                    errors.append("\(badValues): for 'in', 'notin' operators, values set can't be empty")
                }
            case .equals, .doubleEquals, .notEquals:
                if values.count != 1 {
                    errors.append("\(badValues): exact-match compatibility requires one single value")
                }
            case .exists, .doesNotExist:
                if !values.isEmpty {
                    errors.append("\(badValues): values set must be empty for exists and does not exist")
                }
            case .greaterThan, .lessThan:
                if values.count != 1 {
                    errors.append("\(badValues): for 'Gt', 'Lt' operators, exactly one value is required")
                }
                for (i, value) in values.enumerated() where Int64(value) == nil {
                    errors.append(
                        "values[\(i)]: Invalid value: \(LabelValidation.goQuote(value)): "
                            + "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                }
            }
            for (i, value) in values.enumerated() {
                if let error = LabelValidation.valueError(value, path: "values[\(i)][\(key)]") {
                    errors.append(error)
                }
            }
            if !errors.isEmpty {
                throw SelectorError(LabelValidation.aggregate(errors))
            }
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        /// Whether the labels satisfy this requirement (upstream `Requirement.Matches`).
        public func matches(_ labels: [String: String]) -> Bool { matches(value: labels[key]) }

        /// Whether an object whose label `key` has `value` (nil: no such label) meets the requirement.
        public func matches(value: String?) -> Bool {
            switch `operator` {
            case .in, .equals, .doubleEquals:
                guard let value else { return false }
                return values.contains(value)
            case .notIn, .notEquals:
                guard let value else { return true }
                return !values.contains(value)
            case .exists:
                return value != nil
            case .doesNotExist:
                return value == nil
            case .greaterThan, .lessThan:
                guard let value, let actual = Int64(value), values.count == 1, let bound = Int64(values[0])
                else { return false }
                return `operator` == .greaterThan ? actual > bound : actual < bound
            }
        }

        /// The string form, e.g. `app in (a,b)` or `!tier`.
        public var description: String {
            var text = `operator` == .doesNotExist ? "!" + key : key
            switch `operator` {
            case .exists, .doesNotExist: return text
            case .equals: text += "="
            case .doubleEquals: text += "=="
            case .notEquals: text += "!="
            case .in: text += " in "
            case .notIn: text += " notin "
            case .greaterThan: text += ">"
            case .lessThan: text += "<"
            }
            let joined = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            if `operator` == .in || `operator` == .notIn {
                return text + "(" + joined + ")"
            }
            return text + joined
        }
    }

    /// The requirements, sorted by key.
    public private(set) var requirements: [Requirement]
    /// True for the selector that matches nothing (a nil `metav1.LabelSelector`).
    public private(set) var matchesNothing: Bool

    /// A selector of all `requirements` (sorted by key, as upstream does).
    public init(requirements: [Requirement]) {
        self.requirements = Self.sortedByKey(requirements)
        matchesNothing = false
    }

    /// The selector that matches every object.
    public static let everything = LabelSelector(requirements: [])

    /// The selector that matches no object.
    public static let nothing: LabelSelector = {
        var selector = LabelSelector(requirements: [])
        selector.matchesNothing = true
        return selector
    }()

    /// A selector requiring each label to equal its value, without validation (upstream `SelectorFromSet`).
    public init(matchingLabels labels: [String: String]) {
        self.init(
            requirements: labels.sorted { $0.key < $1.key }.map {
                Requirement(unchecked: $0.key, operator: .equals, values: [$0.value])
            })
    }

    /// Whether the selector places no requirement (matches every object).
    public var isEverything: Bool { !matchesNothing && requirements.isEmpty }

    /// Whether an object with these labels is selected.
    public func matches(labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// Whether an object (its `metadata.labels`) is selected.
    public func matches(object: JSON) -> Bool {
        if matchesNothing { return false }
        if requirements.isEmpty { return true }
        // Looked up in place: controllers match thousands of pods per reconcile, a dictionary per pod costs more
        // than the match. Non-string label values count as absent, as in `labels(of:)`.
        let labels = object["metadata"]["labels"]
        return requirements.allSatisfy { $0.matches(value: labels[$0.key].stringValue) }
    }

    /// The string form, requirements joined by `,`.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// The string labels of an object (`metadata.labels`); non-string values are skipped.
    public static func labels(of object: JSON) -> [String: String] {
        guard let labels = object["metadata"]["labels"].objectValue else { return [:] }
        var result: [String: String] = [:]
        result.reserveCapacity(labels.count)
        for (key, value) in labels {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }

    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        requirements.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
    }
}

extension LabelSelector.Requirement {
    /// A requirement whose parts are known to be valid.
    init(unchecked key: String, operator: LabelSelector.Operator, values: [String]) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}
