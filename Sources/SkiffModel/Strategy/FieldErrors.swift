/// `key=value,…` of a label map, sorted, as a Scale's `status.selector`.
enum LabelSelectorText {
    static func of(_ labels: JSONObject) -> String {
        labels.map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
    }
}

/// Name checks with upstream's 422 shape.
public enum NameRules {
    public static func check(
        _ name: String, _ rule: (String) -> [String], type: ResourceType
    ) throws(APIError) {
        var problems = NameValidation.pathSegmentErrors(name)
        if problems.isEmpty { problems = rule(name) }
        guard problems.isEmpty else {
            throw APIError.invalid(
                type, name,
                problems.map {
                    .init(
                        type: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \($0)", field: "metadata.name")
                })
        }
    }
}

/// Collects 422 causes and throws them at once.
struct FieldErrors {
    var causes: [APIError.Cause] = []

    mutating func require(_ condition: Bool, _ field: String, _ message: String = "Required value") {
        if !condition { causes.append(.init(type: "FieldValueRequired", message: message, field: field)) }
    }

    mutating func invalid(_ field: String, _ message: String) {
        causes.append(.init(type: "FieldValueInvalid", message: message, field: field))
    }

    func check(_ type: ResourceType, _ object: JSON) throws(APIError) {
        if !causes.isEmpty { throw APIError.invalid(type, object.name ?? "", causes) }
    }
}
