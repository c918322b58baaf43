import Foundation
import SkiffModel

/// Reading and setting `status.conditions` entries (upstream `SetDeploymentCondition` and friends).
public enum WorkloadConditions {
    /// The condition of `type` in a conditions array, if present.
    public static func find(_ type: String, in conditions: JSON) -> JSON? {
        conditions.arrayValue?.first { $0["type"].stringValue == type }
    }

    /// `conditions` without the condition of `type`.
    public static func removing(_ type: String, from conditions: JSON) -> JSON {
        .array((conditions.arrayValue ?? []).filter { $0["type"].stringValue != type })
    }

    /// Sets a condition the way upstream controllers do: nothing changes when status and reason are the same;
    /// the transition time is kept when only the reason changes; the condition moves to the end otherwise.
    ///
    /// `updateTimeKey` names the "last heard" time the condition kind carries (`lastUpdateTime` for Deployments,
    /// `lastProbeTime` for Jobs, none for ReplicaSets).
    public static func set(
        _ conditions: inout JSON, type: String, status: String, reason: String, message: String, now: Date,
        updateTimeKey: String? = nil
    ) {
        let current = find(type, in: conditions)
        if let current, current["status"].stringValue == status, current["reason"].stringValue == reason { return }
        var condition: JSON = ["type": .string(type), "status": .string(status)]
        if let updateTimeKey { condition[updateTimeKey] = WorkloadTime.json(now) }
        if let current, current["status"].stringValue == status, !current["lastTransitionTime"].isNull {
            condition["lastTransitionTime"] = current["lastTransitionTime"]
        } else {
            condition["lastTransitionTime"] = WorkloadTime.json(now)
        }
        if !reason.isEmpty { condition["reason"] = .string(reason) }
        if !message.isEmpty { condition["message"] = .string(message) }
        var remaining = removing(type, from: conditions).arrayValue ?? []
        remaining.append(condition)
        conditions = .array(remaining)
    }
}
