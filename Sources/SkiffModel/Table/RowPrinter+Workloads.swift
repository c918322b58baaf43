import Foundation

// Printers for apps/v1 and batch/v1 kinds. `spec.replicas` falls back to 1, the API default, for objects stored
// before defaulting ran.
extension RowPrinter {
    /// Deployments: `Name, Ready, Up-to-date, Available, Age`; wide containers, images, selector.
    static let deployment = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Ready", description: "Number of the pod with ready state"),
            TableColumn(
                name: "Up-to-date",
                description: "Total number of pods targeted by this deployment that have the desired template spec."),
            TableColumn(name: "Available", description: "Total number of available pods targeted by this deployment."),
            .age, .containers, .images, .selector,
        ],
        cells: { deployment, now in
            let spec = deployment["spec"]
            let status = deployment["status"]
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            return [
                TableCells.name(deployment),
                .string("\(TableCells.int(status["readyReplicas"]))/\(TableCells.int(spec["replicas"], default: 1))"),
                .int(TableCells.int(status["updatedReplicas"])),
                .int(TableCells.int(status["availableReplicas"])),
                TableCells.age(deployment, now: now),
                .string(names), .string(images),
                .string(TableCells.selector(spec["selector"]) ?? "<invalid>"),
            ]
        })

    /// ReplicaSets: `Name, Desired, Current, Ready, Age`; wide containers, images, selector.
    static let replicaSet = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Desired", type: "integer", description: "Number of desired pods."),
            TableColumn(name: "Current", type: "integer", description: "Number of pods observed."),
            TableColumn(name: "Ready", type: "integer", description: "Number of ready pods."),
            .age, .containers, .images, .selector,
        ],
        cells: { replicaSet, now in
            let spec = replicaSet["spec"]
            let status = replicaSet["status"]
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            return [
                TableCells.name(replicaSet),
                .int(TableCells.int(spec["replicas"], default: 1)),
                .int(TableCells.int(status["replicas"])),
                .int(TableCells.int(status["readyReplicas"])),
                TableCells.age(replicaSet, now: now),
                .string(names), .string(images),
                .string(TableCells.formattedSelector(spec["selector"])),
            ]
        })

    /// DaemonSets: `Name, Desired, Current, Ready, Up-to-date, Available, Node Selector, Age`; wide containers,
    /// images, selector.
    static let daemonSet = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Desired", type: "integer", description: "Nodes that should run the daemon pod."),
            TableColumn(name: "Current", type: "integer", description: "Nodes running at least one daemon pod."),
            TableColumn(name: "Ready", type: "integer", description: "Nodes with a ready daemon pod."),
            TableColumn(name: "Up-to-date", type: "integer", description: "Nodes running the updated daemon pod."),
            TableColumn(name: "Available", type: "integer", description: "Nodes with an available daemon pod."),
            TableColumn(name: "Node Selector", description: "The pod template's node selector."),
            .age, .containers, .images, .selector,
        ],
        cells: { daemonSet, now in
            let spec = daemonSet["spec"]
            let status = daemonSet["status"]
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            return [
                TableCells.name(daemonSet),
                .int(TableCells.int(status["desiredNumberScheduled"])),
                .int(TableCells.int(status["currentNumberScheduled"])),
                .int(TableCells.int(status["numberReady"])),
                .int(TableCells.int(status["updatedNumberScheduled"])),
                .int(TableCells.int(status["numberAvailable"])),
                .string(TableCells.labels(spec["template"]["spec"]["nodeSelector"])),
                TableCells.age(daemonSet, now: now),
                .string(names), .string(images),
                .string(TableCells.formattedSelector(spec["selector"])),
            ]
        })

    /// StatefulSets: `Name, Ready, Age`; wide containers, images.
    static let statefulSet = RowPrinter(
        columns: [
            .name, TableColumn(name: "Ready", description: "Number of the pod with ready state"), .age, .containers,
            .images,
        ],
        cells: { statefulSet, now in
            let spec = statefulSet["spec"]
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            let ready = TableCells.int(statefulSet["status"]["readyReplicas"])
            return [
                TableCells.name(statefulSet),
                .string("\(ready)/\(TableCells.int(spec["replicas"], default: 1))"),
                TableCells.age(statefulSet, now: now),
                .string(names), .string(images),
            ]
        })

    /// ControllerRevisions: `Name, Controller, Revision, Age`.
    static let controllerRevision = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Controller", description: "Controller of the object"),
            TableColumn(name: "Revision", description: "The revision number."),
            .age,
        ],
        cells: { revision, now in
            var controller = "<none>"
            if let owner = revision.controllerReference {
                let (group, _) = ResourceRegistry.split(apiVersion: TableCells.string(owner["apiVersion"]))
                let kind = TableCells.string(owner["kind"])
                let groupKind = group.isEmpty ? kind : "\(kind).\(group)"
                let name = TableCells.string(owner["name"])
                controller = groupKind.isEmpty ? name : "\(groupKind.lowercased())/\(name)"
            }
            return [
                TableCells.name(revision), .string(controller), .int(TableCells.int(revision["revision"])),
                TableCells.age(revision, now: now),
            ]
        })

    /// Jobs: `Name, Status, Completions, Duration, Age`; wide containers, images, selector.
    static let job = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Status", description: "Status of the job."),
            TableColumn(name: "Completions", description: "Succeeded pods of the required completions."),
            TableColumn(name: "Duration", description: "Time required to complete the job."),
            .age, .containers, .images, .selector,
        ],
        cells: { job, now in
            let spec = job["spec"]
            let status = job["status"]
            let succeeded = TableCells.int(status["succeeded"])
            let completions: String
            if let required = spec["completions"].int64Value {
                completions = "\(succeeded)/\(required)"
            } else {
                let parallelism = TableCells.int(spec["parallelism"])
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = status["startTime"].stringValue.flatMap(KubeTimestamp.date) {
                let end = status["completionTime"].stringValue.flatMap(KubeTimestamp.date) ?? now
                duration = HumanDuration.format(end.timeIntervalSince(start))
            }
            let (names, images) = TableCells.containers(spec["template"]["spec"])
            return [
                TableCells.name(job),
                .string(jobStatus(job)),
                .string(completions),
                .string(duration),
                TableCells.age(job, now: now),
                .string(names), .string(images),
                .string(TableCells.formattedSelector(spec["selector"])),
            ]
        })

    private static func jobStatus(_ job: JSON) -> String {
        // Upstream reads the first condition of each type and requires it to be True.
        func has(_ type: String) -> Bool {
            TableCells.conditionStatus(job["status"]["conditions"], type: type) == "True"
        }
        if has("Complete") { return "Complete" }
        if has("Failed") { return "Failed" }
        if !job["metadata"]["deletionTimestamp"].isNull { return "Terminating" }
        if has("Suspended") { return "Suspended" }
        if has("FailureTarget") { return "FailureTarget" }
        return "Running"
    }

    /// CronJobs: `Name, Schedule, Timezone, Suspend, Active, Last Schedule, Age`; wide containers, images, selector.
    static let cronJob = RowPrinter(
        columns: [
            .name,
            TableColumn(name: "Schedule", description: "The schedule in Cron format."),
            TableColumn(name: "Timezone", description: "The time zone of the schedule."),
            TableColumn(name: "Suspend", type: "boolean", description: "Whether later executions are suspended."),
            TableColumn(name: "Active", type: "integer", description: "Number of running jobs."),
            TableColumn(name: "Last Schedule", description: "When the job was last scheduled."),
            .age, .containers, .images, .selector,
        ],
        cells: { cronJob, now in
            let spec = cronJob["spec"]
            let status = cronJob["status"]
            let lastSchedule =
                status["lastScheduleTime"].isNull ? "<none>" : HumanDuration.since(status["lastScheduleTime"], now: now)
            let jobSpec = spec["jobTemplate"]["spec"]
            let (names, images) = TableCells.containers(jobSpec["template"]["spec"])
            return [
                TableCells.name(cronJob),
                .string(TableCells.string(spec["schedule"])),
                .string(spec["timeZone"].stringValue ?? "<none>"),
                .string(TableCells.optionalBool(spec["suspend"])),
                .int(TableCells.count(status["active"])),
                .string(lastSchedule),
                TableCells.age(cronJob, now: now),
                .string(names), .string(images),
                .string(TableCells.formattedSelector(jobSpec["selector"])),
            ]
        })
}
