import Foundation
import SkiffModel

/// RFC 3339 timestamps as Kubernetes stores them (`2024-05-01T12:00:00Z`), to and from `Date` and JSON values, for
/// reconcilers (a thin layer over `KubeTimestamp`).
public enum WorkloadTime {
    /// `date` with whole seconds in UTC, as `metav1.Time` marshals.
    public static func format(_ date: Date) -> String {
        KubeTimestamp.string(date)
    }

    /// The JSON string of `format(date)`.
    static func json(_ date: Date) -> JSON { .string(format(date)) }

    /// The instant `value` names, or nil when it is not an RFC 3339 date-time string.
    public static func parse(_ value: JSON) -> Date? {
        guard let text = value.stringValue else { return nil }
        return parse(text)
    }

    /// The instant `text` names (`Z` or `±hh:mm` offset, optional fraction), or nil.
    public static func parse(_ text: String) -> Date? { KubeTimestamp.date(text) }
}
