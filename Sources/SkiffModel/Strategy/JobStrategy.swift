/// Jobs: spec and pod template defaults (restartPolicy Never), an immutable selector.
public struct JobStrategy: ResourceStrategy {
    public init() {}

    public func applyDefaults(_ object: inout JSON) {
        WorkloadDefaults.applyJob(to: &object["spec"])
        PodDefaults.apply(to: &object["spec"]["template"]["spec"], restartPolicy: "Never")
    }

    public func validateUpdate(_ object: JSON, old: JSON, type: ResourceType) throws(APIError) {
        try validate(object, type: type)
        try SelectorRules.checkImmutable(object, old: old, type: type)
    }
}

/// CronJobs: schedule policy defaults and their job template's defaults.
public struct CronJobStrategy: ResourceStrategy {
    public init() {}

    public func applyDefaults(_ object: inout JSON) {
        if object["spec"]["concurrencyPolicy"].isNull { object["spec"]["concurrencyPolicy"] = "Allow" }
        if object["spec"]["suspend"].isNull { object["spec"]["suspend"] = false }
        if object["spec"]["successfulJobsHistoryLimit"].isNull { object["spec"]["successfulJobsHistoryLimit"] = 3 }
        if object["spec"]["failedJobsHistoryLimit"].isNull { object["spec"]["failedJobsHistoryLimit"] = 1 }
        WorkloadDefaults.applyJob(to: &object["spec"]["jobTemplate"]["spec"])
        PodDefaults.apply(to: &object["spec"]["jobTemplate"]["spec"]["template"]["spec"], restartPolicy: "Never")
    }
}
