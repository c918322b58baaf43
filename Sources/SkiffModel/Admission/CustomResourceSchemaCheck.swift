import Foundation

/// Checks a custom object against its CRD version's structural `openAPIV3Schema`, as the API server does before it
/// stores one: values of the wrong type, missing required fields, values outside `enum`, bounds or patterns are
/// errors; fields the schema does not declare are pruned (unless `x-kubernetes-preserve-unknown-fields`) and reported,
/// so that `fieldValidation=Strict` can refuse them instead; `null` where the schema is not `nullable` is dropped.
/// `apiVersion`, `kind` and `metadata` at the top are the generic code's business and left alone.
public struct CustomResourceSchemaCheck: Sendable {
    /// The object with unknown fields and non-nullable nulls removed.
    public var pruned: JSON
    /// Paths of the pruned unknown fields (`spec.colour`), in document order.
    public var unknownFields: [String] = []
    /// What is wrong, as upstream words it (`field: spec.size`, `Invalid value: "string": spec.size in body must be
    /// of type integer: "string"`).
    public var errors: [APIError.Cause] = []

    public init(_ object: JSON, schema: JSON) {
        pruned = object
        guard case .object(var top) = object, schema.objectValue != nil else { return }
        for (key, value) in top where !["apiVersion", "kind", "metadata"].contains(key) {
            let field = schema["properties"][key]
            if field.isNull && !Self.keepsUnknown(schema) {
                if let additional = schema["additionalProperties"].objectValue.map(JSON.object) {
                    top[key] = check(value, schema: additional, path: key)
                } else {
                    unknownFields.append(key)
                    top[key] = nil
                }
                continue
            }
            if value.isNull, !field.isNull, field["nullable"].boolValue != true {
                top[key] = nil
                continue
            }
            top[key] = field.isNull ? value : check(value, schema: field, path: key)
        }
        for required in schema["required"].arrayValue?.compactMap(\.stringValue) ?? [] where top[required] == nil {
            errors.append(Self.required(required))
        }
        pruned = .object(top)
    }

    /// The APIError upstream answers for `errors` (422 Invalid), nil when there are none.
    public func invalid(kind: String, group: String, name: String) -> APIError? {
        guard !errors.isEmpty else { return nil }
        let details = errors.map { "\($0.field): \($0.message)" }
        let joined = details.count == 1 ? details[0] : "[" + details.joined(separator: ", ") + "]"
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        return APIError(
            code: 422, reason: "Invalid", message: "\(qualified) \"\(name)\" is invalid: \(joined)", name: name,
            group: group, kind: kind, causes: errors)
    }

    static func keepsUnknown(_ schema: JSON) -> Bool {
        schema["x-kubernetes-preserve-unknown-fields"].boolValue == true
    }

    private mutating func check(_ value: JSON, schema: JSON, path: String) -> JSON {
        if schema["x-kubernetes-int-or-string"].boolValue == true {
            switch value {
            case .int, .string: return value
            default:
                errors.append(Self.typeError(value, expected: "integer or string", path: path))
                return value
            }
        }
        if value.isNull {
            if schema["nullable"].boolValue != true, schema["type"].stringValue != nil {
                errors.append(Self.typeError(value, expected: schema["type"].stringValue ?? "", path: path))
            }
            return value
        }
        let type = schema["type"].stringValue
        switch (type, value) {
        case ("object", .object(var object)), (nil, .object(var object)):
            if type == nil, schema["properties"].isNull { return value }
            let properties = schema["properties"]
            let additional = schema["additionalProperties"]
            for (key, child) in object {
                let childPath = "\(path).\(key)"
                let field = properties[key]
                if !field.isNull {
                    if child.isNull, field["nullable"].boolValue != true {
                        object[key] = nil
                    } else {
                        object[key] = check(child, schema: field, path: childPath)
                    }
                } else if case .object = additional {
                    object[key] = check(child, schema: additional, path: childPath)
                } else if additional.boolValue == true || Self.keepsUnknown(schema)
                    || schema["x-kubernetes-embedded-resource"].boolValue == true
                {
                    continue
                } else {
                    unknownFields.append(childPath)
                    object[key] = nil
                }
            }
            for required in schema["required"].arrayValue?.compactMap(\.stringValue) ?? [] where object[required] == nil
            {
                errors.append(Self.required("\(path).\(required)"))
            }
            return .object(object)
        case ("array", .array(let elements)):
            checkBounds(
                count: elements.count, schema: schema, minimum: "minItems", maximum: "maxItems", unit: "items",
                value: value, path: path)
            let items = schema["items"]
            guard !items.isNull else { return value }
            return .array(elements.enumerated().map { check($0.element, schema: items, path: "\(path)[\($0.offset)]") })
        case ("string", .string(let text)):
            checkEnum(value, schema: schema, path: path)
            checkBounds(
                count: text.count, schema: schema, minimum: "minLength", maximum: "maxLength", unit: "chars",
                value: value, path: path)
            if let pattern = schema["pattern"].stringValue,
                let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                errors.append(
                    APIError.Cause(
                        type: "FieldValueInvalid",
                        message: "Invalid value: \(Self.quoted(value)): \(path) in body should match '\(pattern)'",
                        field: path))
            }
            return value
        case ("integer", .int), ("number", .int), ("number", .double), ("number", .bigNumber), ("boolean", .bool):
            checkEnum(value, schema: schema, path: path)
            checkRange(value, schema: schema, path: path)
            return value
        case ("integer", .double(let number)) where number == number.rounded() && abs(number) < 9.0e15:
            checkRange(value, schema: schema, path: path)
            return .int(Int64(number))
        case (nil, _):
            return value
        default:
            errors.append(Self.typeError(value, expected: type ?? "", path: path))
            return value
        }
    }

    private mutating func checkEnum(_ value: JSON, schema: JSON, path: String) {
        guard let allowed = schema["enum"].arrayValue, !allowed.contains(value) else { return }
        errors.append(
            APIError.Cause(
                type: "FieldValueNotSupported",
                message: "Unsupported value: \(Self.quoted(value)): supported values: "
                    + allowed.map(Self.quoted).joined(separator: ", "),
                field: path))
    }

    private mutating func checkRange(_ value: JSON, schema: JSON, path: String) {
        guard let number = value.doubleValue else { return }
        if let minimum = schema["minimum"].doubleValue, number < minimum {
            errors.append(
                APIError.Cause(
                    type: "FieldValueInvalid",
                    message:
                        "Invalid value: \(Self.quoted(value)): \(path) in body should be greater than or equal to \(Self.number(minimum))",
                    field: path))
        }
        if let maximum = schema["maximum"].doubleValue, number > maximum {
            errors.append(
                APIError.Cause(
                    type: "FieldValueInvalid",
                    message:
                        "Invalid value: \(Self.quoted(value)): \(path) in body should be less than or equal to \(Self.number(maximum))",
                    field: path))
        }
    }

    private mutating func checkBounds(
        count: Int, schema: JSON, minimum: String, maximum: String, unit: String, value: JSON, path: String
    ) {
        if let low = schema[minimum].intValue, count < low {
            errors.append(
                APIError.Cause(
                    type: "FieldValueInvalid",
                    message:
                        "Invalid value: \(Self.quoted(value)): \(path) in body should have at least \(low) \(unit)",
                    field: path))
        }
        if let high = schema[maximum].intValue, count > high {
            errors.append(
                APIError.Cause(
                    type: "FieldValueTooLong",
                    message: "Too long: may not be more than \(high) \(unit)", field: path))
        }
    }

    static func required(_ path: String) -> APIError.Cause {
        APIError.Cause(type: "FieldValueRequired", message: "Required value", field: path)
    }

    /// Upstream reports the JSON type of the value it got: `Invalid value: "string": spec.size in body must be of
    /// type integer: "string"`.
    static func typeError(_ value: JSON, expected: String, path: String) -> APIError.Cause {
        let got: String
        switch value {
        case .null: got = "null"
        case .bool: got = "boolean"
        case .int: got = "integer"
        case .double, .bigNumber: got = "number"
        case .string: got = "string"
        case .array: got = "array"
        case .object: got = "object"
        }
        return APIError.Cause(
            type: "FieldValueTypeInvalid",
            message: "Invalid value: \"\(got)\": \(path) in body must be of type \(expected): \"\(got)\"", field: path)
    }

    static func quoted(_ value: JSON) -> String {
        if case .string(let text) = value { return "\"\(text)\"" }
        return String(decoding: value.serialized(), as: UTF8.self)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
