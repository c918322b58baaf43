/// Pod status conditions, set the way the scheduler and kubelet do.
public enum PodConditions {
    /// Sets (or replaces) condition `type`, keeping its transition time when the status is unchanged.
    public static func set(
        _ pod: inout JSON, type: String, status: String, at time: String, reason: String? = nil, message: String? = nil
    ) {
        var conditions = pod["status"]["conditions"].arrayValue ?? []
        var condition: JSON = [
            "type": .string(type), "status": .string(status), "lastProbeTime": .null,
            "lastTransitionTime": .string(time),
        ]
        if let reason { condition["reason"] = .string(reason) }
        if let message { condition["message"] = .string(message) }
        if let index = conditions.firstIndex(where: { $0["type"].stringValue == type }) {
            if conditions[index]["status"].stringValue == status {
                condition["lastTransitionTime"] = conditions[index]["lastTransitionTime"]
            }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
        pod["status"]["conditions"] = .array(conditions)
    }
}
