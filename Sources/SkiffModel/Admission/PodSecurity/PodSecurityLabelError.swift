/// A namespace label that is not a valid Pod Security level or version, as upstream's `field.Invalid` reports it:
/// field `metadata.labels[pod-security.kubernetes.io/enforce]`, message
/// `Invalid value: "foo": must be one of privileged, baseline, restricted`.
public struct PodSecurityLabelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The label's field path: `metadata.labels[<label>]`.
    public var field: String
    /// The label's value as written.
    public var value: String
    /// Why it is invalid (upstream's parse error text).
    public var detail: String

    public init(label: String, value: String, detail: String) {
        self.field = "metadata.labels[\(label)]"
        self.value = value
        self.detail = detail
    }

    /// `Invalid value: "foo": must be …`, the message of the 422's cause.
    public var message: String { "Invalid value: \(LabelValidation.goQuote(value)): \(detail)" }

    /// The `FieldValueInvalid` cause of a 422 Invalid Status (see `APIError.invalid`).
    public var cause: APIError.Cause { APIError.Cause(type: "FieldValueInvalid", message: message, field: field) }

    /// `field: Invalid value: "foo": …`, as upstream's `field.Error` prints.
    public var description: String { "\(field): \(message)" }
}
