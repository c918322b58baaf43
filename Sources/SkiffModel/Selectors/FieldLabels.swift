/// The selectable fields of each resource and how to read them from a stored object (upstream's per-resource
/// `ToSelectableFields` and field-label conversion functions). Values are strings: booleans as `true`/`false`,
/// integers in decimal, absent fields as their Go zero value.
public enum FieldLabels {
    /// Labels every resource supports.
    public static let common: [String] = ["metadata.name", "metadata.namespace"]

    /// Labels beyond ``common``, by resource (plural).
    public static let byResource: [String: [String]] = [
        "pods": [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.nominatedNodeName",
        ],
        "events": [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
            "reportingComponent", "source", "type",
        ],
        "secrets": ["type"],
        "nodes": ["spec.unschedulable"],
        "namespaces": ["status.phase"],
        "replicasets": ["status.replicas"],
        "replicationcontrollers": ["status.replicas"],
        "jobs": ["status.successful"],
    ]

    /// Whether `label` can be selected on `resource`.
    public static func isSupported(_ label: String, resource: String) -> Bool {
        common.contains(label) || (byResource[resource]?.contains(label) ?? false)
    }

    /// The value of `label` in `object`, or nil when `resource` has no such label.
    public static func value(of label: String, in object: JSON, resource: String) -> String? {
        switch label {
        case "metadata.name": return text(object["metadata"]["name"])
        case "metadata.namespace": return text(object["metadata"]["namespace"])
        default: break
        }
        guard byResource[resource]?.contains(label) ?? false else { return nil }
        switch (resource, label) {
        case ("pods", "spec.hostNetwork"), ("nodes", "spec.unschedulable"):
            return object["spec"][String(label.dropFirst(5))].boolValue == true ? "true" : "false"
        case ("pods", "status.podIP"):
            if let first = object["status"]["podIPs"][0]["ip"].stringValue { return first }
            return text(object["status"]["podIP"])
        case ("replicasets", "status.replicas"), ("replicationcontrollers", "status.replicas"):
            return integer(object["status"]["replicas"])
        case ("jobs", "status.successful"):
            // The label says "successful"; the field it reads is `status.succeeded`.
            return integer(object["status"]["succeeded"])
        case ("events", _):
            return eventValue(label, object)
        default:
            return text(value(at: label, in: object))
        }
    }

    /// Core/v1 events, falling back to the events.k8s.io/v1 names (`regarding`, `reportingController`,
    /// `deprecatedSource`) that the same resource has in that group.
    private static func eventValue(_ label: String, _ event: JSON) -> String {
        if label.hasPrefix("involvedObject.") {
            let field = String(label.dropFirst("involvedObject.".count))
            let reference = event.contains(key: "involvedObject") ? event["involvedObject"] : event["regarding"]
            return text(reference[field])
        }
        switch label {
        case "reportingComponent":
            return text(event["reportingComponent"].isNull ? event["reportingController"] : event["reportingComponent"])
        case "source":
            let component = text(event["source"]["component"])
            if !component.isEmpty { return component }
            let deprecated = text(event["deprecatedSource"]["component"])
            if !deprecated.isEmpty { return deprecated }
            return eventValue("reportingComponent", event)
        default:
            return text(event[label])
        }
    }

    private static func value(at dottedPath: String, in object: JSON) -> JSON {
        var current = object
        for part in dottedPath.split(separator: ".") {
            current = current[String(part)]
        }
        return current
    }

    private static func text(_ value: JSON) -> String {
        switch value {
        case .string(let string): return string
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        default: return ""
        }
    }

    private static func integer(_ value: JSON) -> String {
        value.int64Value.map { String($0) } ?? "0"
    }
}
