import Foundation

/// Formatting shared by the row printers, reproducing upstream's helpers (`labels.FormatLabels`,
/// `metav1.FormatLabelSelector`, `layoutContainerCells`, …) so cells read exactly as kubectl users expect.
enum TableCells {
    /// The age of an object from `metadata.creationTimestamp`.
    static func age(_ object: JSON, now: Date) -> JSON {
        .string(HumanDuration.since(object["metadata"]["creationTimestamp"], now: now))
    }

    /// `metadata.name`, or "" when absent.
    static func name(_ object: JSON) -> JSON {
        .string(object["metadata"]["name"].stringValue ?? "")
    }

    /// A string field, or "" when absent (Go's zero value).
    static func string(_ value: JSON) -> String {
        value.stringValue ?? ""
    }

    /// A string field, or `placeholder` when absent or empty.
    static func string(_ value: JSON, or placeholder: String) -> String {
        guard let text = value.stringValue, !text.isEmpty else { return placeholder }
        return text
    }

    /// An integer field, or `fallback` when absent (Go's zero value, or the API default).
    static func int(_ value: JSON, default fallback: Int64 = 0) -> Int64 {
        if let integer = value.int64Value { return integer }
        if let double = value.doubleValue, double.isFinite, abs(double) < 9.0e18 { return Int64(double) }
        return fallback
    }

    /// The number of elements of an array or keys of an object.
    static func count(_ value: JSON) -> Int64 {
        switch value {
        case .array(let elements): Int64(elements.count)
        case .object(let object): Int64(object.count)
        default: 0
        }
    }

    /// `True`, `False`, or `<unset>` when absent (upstream's `printBoolPtr`).
    static func optionalBool(_ value: JSON) -> String {
        guard let flag = value.boolValue else { return "<unset>" }
        return flag ? "True" : "False"
    }

    /// A label map as `k1=v1,k2=v2`, keys sorted; `<none>` when empty.
    static func labels(_ map: JSON) -> String {
        guard let object = map.objectValue, !object.isEmpty else { return "<none>" }
        return object.map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
    }

    /// Container names and images of a pod spec, each joined by commas.
    static func containers(_ podSpec: JSON) -> (names: String, images: String) {
        let containers = podSpec["containers"].arrayValue ?? []
        let names = containers.map { $0["name"].stringValue ?? "" }.joined(separator: ",")
        let images = containers.map { $0["image"].stringValue ?? "" }.joined(separator: ",")
        return (names, images)
    }

    /// A `metav1.LabelSelector` in selector syntax (`app=web,tier in (a,b),!legacy`), or nil when invalid.
    ///
    /// An absent or empty selector gives "". Requirements are sorted by key and set values sorted, as Go does.
    static func selector(_ labelSelector: JSON) -> String? {
        guard case .object = labelSelector else { return labelSelector.isNull ? "" : nil }
        var requirements: [(key: String, text: String)] = []
        if let matchLabels = labelSelector["matchLabels"].objectValue {
            for (key, value) in matchLabels {
                requirements.append((key, "\(key)=\(value.stringValue ?? "")"))
            }
        }
        for expression in labelSelector["matchExpressions"].arrayValue ?? [] {
            guard let key = expression["key"].stringValue else { return nil }
            let values = (expression["values"].arrayValue ?? []).compactMap(\.stringValue).sorted()
            switch expression["operator"].stringValue {
            case "In" where !values.isEmpty:
                requirements.append((key, "\(key) in (\(values.joined(separator: ",")))"))
            case "NotIn" where !values.isEmpty:
                requirements.append((key, "\(key) notin (\(values.joined(separator: ",")))"))
            case "Exists" where values.isEmpty:
                requirements.append((key, key))
            case "DoesNotExist" where values.isEmpty:
                requirements.append((key, "!\(key)"))
            default:
                return nil
            }
        }
        // A stable sort keeps the declaration order of requirements sharing a key.
        let sorted = requirements.enumerated().sorted {
            $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset
        }
        return sorted.map(\.element.text).joined(separator: ",")
    }

    /// `metav1.FormatLabelSelector`: the selector, `<none>` when it selects everything or nothing, `<error>`.
    static func formattedSelector(_ labelSelector: JSON) -> String {
        guard let text = selector(labelSelector) else { return "<error>" }
        return text.isEmpty ? "<none>" : text
    }

    /// `host:port`, bracketing IPv6 addresses as Go's `net.JoinHostPort` does.
    static func hostPort(_ host: String, _ port: Int64) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The first `max` items joined by commas, then ` + N more...` (upstream's list truncation).
    static func truncatedList(_ items: [String], total: Int, max: Int = 3, empty: String) -> String {
        let shown = items.prefix(max).joined(separator: ",")
        if total > max { return "\(shown) + \(total - max) more..." }
        return shown.isEmpty ? empty : shown
    }

    /// The `status` of the condition of type `type` in a conditions array, if any.
    static func conditionStatus(_ conditions: JSON, type: String) -> String? {
        (conditions.arrayValue ?? []).first { $0["type"].stringValue == type }?["status"].stringValue
    }

    /// Persistent volume access modes in upstream's short form and fixed order (`RWO,ROX,RWX,RWOP`).
    static func accessModes(_ modes: JSON) -> String {
        let present = Set((modes.arrayValue ?? []).compactMap(\.stringValue))
        let known = [
            ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"),
        ]
        return known.filter { present.contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
