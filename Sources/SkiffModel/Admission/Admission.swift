/// Defaulting and validation of objects on their way into the store, by kind. Defaults make required fields exist
/// (typed clients such as the Python client reject objects without them); validation answers 422 Invalid.
public enum Admission {
    /// Checks the object's name against the rules of its kind.
    public static func validateName(_ type: ResourceType, _ name: String) throws(APIError) {
        var problems = NameValidation.pathSegmentErrors(name)
        if problems.isEmpty {
            switch type.kind {
            case "Namespace", "Service": problems = NameValidation.labelErrors(name)
            default: problems = NameValidation.subdomainErrors(name)
            }
        }
        guard problems.isEmpty else {
            throw APIError.invalid(
                type, name,
                problems.map { .init(type: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \($0)", field: "metadata.name") })
        }
    }

    /// Defaults and validates a new object.
    public static func admitCreate(_ type: ResourceType, _ object: inout JSON) throws(APIError) {
        applyDefaults(type, &object)
        try validate(type, object)
    }

    /// Defaults and validates a changed object (`old` is the live version).
    public static func admitUpdate(_ type: ResourceType, _ object: inout JSON, old: JSON) throws(APIError) {
        applyDefaults(type, &object)
        try validate(type, object)
        if ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"].contains(type.kind),
            !old["spec"]["selector"].isNull, object["spec"]["selector"] != old["spec"]["selector"]
        {
            throw APIError.invalid(
                type, object.name ?? "",
                [.init(type: "FieldValueInvalid", message: "Invalid value: \(object["spec"]["selector"].serializedString()): field is immutable", field: "spec.selector")])
        }
    }

    static func applyDefaults(_ type: ResourceType, _ object: inout JSON) {
        switch (type.group, type.kind) {
        case ("", "Namespace"):
            if object["spec"]["finalizers"].isNull { object["spec"]["finalizers"] = ["kubernetes"] }
            if object["status"]["phase"].isNull { object["status"]["phase"] = "Active" }
        case ("", "Pod"):
            PodDefaults.apply(to: &object["spec"])
            if object["status"]["phase"].isNull { object["status"]["phase"] = "Pending" }
        case ("", "Service"):
            ServiceDefaults.apply(to: &object)
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("", "ReplicationController"):
            WorkloadDefaults.apply(kind: type.kind, to: &object)
        case ("batch", "Job"):
            WorkloadDefaults.applyJob(to: &object["spec"])
            PodDefaults.apply(to: &object["spec"]["template"]["spec"], restartPolicy: "Never")
        case ("batch", "CronJob"):
            if object["spec"]["concurrencyPolicy"].isNull { object["spec"]["concurrencyPolicy"] = "Allow" }
            if object["spec"]["suspend"].isNull { object["spec"]["suspend"] = false }
            if object["spec"]["successfulJobsHistoryLimit"].isNull { object["spec"]["successfulJobsHistoryLimit"] = 3 }
            if object["spec"]["failedJobsHistoryLimit"].isNull { object["spec"]["failedJobsHistoryLimit"] = 1 }
            WorkloadDefaults.applyJob(to: &object["spec"]["jobTemplate"]["spec"])
            PodDefaults.apply(to: &object["spec"]["jobTemplate"]["spec"]["template"]["spec"], restartPolicy: "Never")
        case ("", "Secret"):
            if object["type"].isNull { object["type"] = "Opaque" }
        default:
            break
        }
    }

    static func validate(_ type: ResourceType, _ object: JSON) throws(APIError) {
        var causes: [APIError.Cause] = []
        func require(_ condition: Bool, _ field: String, _ message: String = "Required value") {
            if !condition { causes.append(.init(type: "FieldValueRequired", message: message, field: field)) }
        }
        switch (type.group, type.kind) {
        case ("", "Pod"):
            let containers = object["spec"]["containers"].arrayValue ?? []
            require(!containers.isEmpty, "spec.containers")
            for (index, container) in containers.enumerated() {
                require(!(container["name"].stringValue ?? "").isEmpty, "spec.containers[\(index)].name")
                require(!(container["image"].stringValue ?? "").isEmpty, "spec.containers[\(index)].image")
            }
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"), ("apps", "StatefulSet"):
            require(!object["spec"]["selector"].isNull, "spec.selector")
            let containers = object["spec"]["template"]["spec"]["containers"].arrayValue ?? []
            require(!containers.isEmpty, "spec.template.spec.containers")
            let selector = object["spec"]["selector"]["matchLabels"].objectValue
            let labels = object["spec"]["template"]["metadata"]["labels"].objectValue
            if let selector {
                for (key, value) in selector where labels?[key] != value {
                    causes.append(
                        .init(
                            type: "FieldValueInvalid",
                            message: "Invalid value: \(object["spec"]["template"]["metadata"]["labels"].serializedString()): `selector` does not match template `labels`",
                            field: "spec.template.metadata.labels"))
                    break
                }
            }
            if let replicas = object["spec"]["replicas"].int64Value, replicas < 0 {
                causes.append(
                    .init(
                        type: "FieldValueInvalid",
                        message: "Invalid value: \(replicas): must be greater than or equal to 0", field: "spec.replicas"))
            }
        case ("", "ConfigMap"), ("", "Secret"):
            for field in ["data", "binaryData", "stringData"] {
                guard let entries = object[field].objectValue else { continue }
                for key in entries.keys where !isConfigMapKey(key) {
                    causes.append(
                        .init(
                            type: "FieldValueInvalid",
                            message: "Invalid value: \"\(key)\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                            field: "\(field)[\(key)]"))
                }
            }
        default:
            break
        }
        if !causes.isEmpty { throw APIError.invalid(type, object.name ?? "", causes) }
    }

    static func isConfigMapKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 253
            && key.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
                    || $0 == "_" || $0 == "."
            }
    }
}
