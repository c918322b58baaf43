/// The replicated workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController): their spec
/// and pod template defaults; for the `apps` ones a required selector matching the template and an immutable
/// selector; Deployments also count annotation changes in their generation (upstream's rollback annotations).
public struct WorkloadStrategy: ResourceStrategy {
    public enum Workload: Sendable, CaseIterable {
        case deployment, replicaSet, statefulSet, daemonSet, replicationController
    }

    public var workload: Workload

    public init(_ workload: Workload) {
        self.workload = workload
    }

    public func applyDefaults(_ object: inout JSON) { WorkloadDefaults.apply(workload, to: &object) }

    public func validate(_ object: JSON, type: ResourceType) throws(APIError) {
        guard workload != .replicationController else { return }
        var errors = FieldErrors()
        errors.require(!object["spec"]["selector"].isNull, "spec.selector")
        let containers = object["spec"]["template"]["spec"]["containers"].arrayValue ?? []
        errors.require(!containers.isEmpty, "spec.template.spec.containers")
        let selector = object["spec"]["selector"]["matchLabels"].objectValue
        let labels = object["spec"]["template"]["metadata"]["labels"].objectValue
        if let selector {
            for (key, value) in selector where labels?[key] != value {
                errors.invalid(
                    "spec.template.metadata.labels",
                    "Invalid value: \(object["spec"]["template"]["metadata"]["labels"].serializedString()): `selector` does not match template `labels`"
                )
                break
            }
        }
        if let replicas = object["spec"]["replicas"].int64Value, replicas < 0 {
            errors.invalid("spec.replicas", "Invalid value: \(replicas): must be greater than or equal to 0")
        }
        try errors.check(type, object)
    }

    public func validateUpdate(_ object: JSON, old: JSON, type: ResourceType) throws(APIError) {
        try validate(object, type: type)
        if workload != .replicationController { try SelectorRules.checkImmutable(object, old: old, type: type) }
    }

    public func generationChanged(live: JSON, next: JSON) -> Bool {
        live["spec"] != next["spec"]
            || (workload == .deployment && live["metadata"]["annotations"] != next["metadata"]["annotations"])
    }

    public func scaleSelector(_ object: JSON) -> String {
        if let labels = object["spec"]["selector"]["matchLabels"].objectValue { return LabelSelectorText.of(labels) }
        // A ReplicationController's selector is a plain label map.
        if workload == .replicationController, let labels = object["spec"]["selector"].objectValue {
            return LabelSelectorText.of(labels)
        }
        return ""
    }
}

/// The rule that a controller's `spec.selector` may not change once set.
enum SelectorRules {
    static func checkImmutable(_ object: JSON, old: JSON, type: ResourceType) throws(APIError) {
        guard !old["spec"]["selector"].isNull, object["spec"]["selector"] != old["spec"]["selector"] else { return }
        throw APIError.invalid(
            type, object.name ?? "",
            [
                .init(
                    type: "FieldValueInvalid",
                    message: "Invalid value: \(object["spec"]["selector"].serializedString()): field is immutable",
                    field: "spec.selector")
            ])
    }
}
