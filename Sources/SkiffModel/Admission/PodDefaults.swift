/// Upstream defaults of `PodSpec` and containers (k8s.io/kubernetes `pkg/apis/core/v1/defaults.go`).
enum PodDefaults {
    static func apply(to spec: inout JSON, restartPolicy: String = "Always") {
        if spec["restartPolicy"].isNull { spec["restartPolicy"] = .string(restartPolicy) }
        if spec["dnsPolicy"].isNull { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["schedulerName"].isNull { spec["schedulerName"] = "default-scheduler" }
        if spec["terminationGracePeriodSeconds"].isNull { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["securityContext"].isNull { spec["securityContext"] = .emptyObject }
        if spec["enableServiceLinks"].isNull { spec["enableServiceLinks"] = true }
        for field in ["containers", "initContainers"] {
            guard let containers = spec[field].arrayValue else { continue }
            spec[field] = .array(containers.map(container))
        }
    }

    static func container(_ input: JSON) -> JSON {
        var container = input
        if container["imagePullPolicy"].isNull {
            let image = container["image"].stringValue ?? ""
            let tag = image.split(separator: "/").last.flatMap { $0.split(separator: ":").dropFirst().first }
            container["imagePullPolicy"] =
                (tag == nil || tag == "latest") && !image.contains("@") ? "Always" : "IfNotPresent"
        }
        if container["terminationMessagePath"].isNull { container["terminationMessagePath"] = "/dev/termination-log" }
        if container["terminationMessagePolicy"].isNull { container["terminationMessagePolicy"] = "File" }
        if container["resources"].isNull { container["resources"] = .emptyObject }
        if let ports = container["ports"].arrayValue {
            container["ports"] = .array(
                ports.map { port in
                    var port = port
                    if port["protocol"].isNull { port["protocol"] = "TCP" }
                    return port
                })
        }
        return container
    }
}

/// Upstream defaults of `Service`.
enum ServiceDefaults {
    static func apply(to service: inout JSON) {
        if service["spec"]["type"].isNull { service["spec"]["type"] = "ClusterIP" }
        if service["spec"]["sessionAffinity"].isNull { service["spec"]["sessionAffinity"] = "None" }
        if service["spec"]["internalTrafficPolicy"].isNull { service["spec"]["internalTrafficPolicy"] = "Cluster" }
        if let ports = service["spec"]["ports"].arrayValue {
            service["spec"]["ports"] = .array(
                ports.map { port in
                    var port = port
                    if port["protocol"].isNull { port["protocol"] = "TCP" }
                    if port["targetPort"].isNull { port["targetPort"] = port["port"] }
                    return port
                })
        }
        if service["status"]["loadBalancer"].isNull { service["status"]["loadBalancer"] = .emptyObject }
    }
}

/// Upstream defaults of the workload controllers' specs.
enum WorkloadDefaults {
    static func apply(_ workload: WorkloadStrategy.Workload, to object: inout JSON) {
        var spec = object["spec"]
        if workload != .daemonSet, spec["replicas"].isNull { spec["replicas"] = 1 }
        if spec["revisionHistoryLimit"].isNull, workload != .replicationController, workload != .replicaSet {
            spec["revisionHistoryLimit"] = 10
        }
        switch workload {
        case .deployment:
            if spec["strategy"].isNull {
                spec["strategy"] = [
                    "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"],
                ]
            }
            if spec["progressDeadlineSeconds"].isNull { spec["progressDeadlineSeconds"] = 600 }
        case .daemonSet:
            if spec["updateStrategy"].isNull {
                spec["updateStrategy"] = [
                    "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0],
                ]
            }
        case .statefulSet:
            if spec["podManagementPolicy"].isNull { spec["podManagementPolicy"] = "OrderedReady" }
            if spec["updateStrategy"].isNull {
                spec["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]]
            }
        case .replicaSet, .replicationController:
            break
        }
        PodDefaults.apply(to: &spec["template"]["spec"])
        object["spec"] = spec
    }

    static func applyJob(to spec: inout JSON) {
        if spec["parallelism"].isNull { spec["parallelism"] = 1 }
        if spec["completions"].isNull { spec["completions"] = 1 }
        if spec["backoffLimit"].isNull { spec["backoffLimit"] = 6 }
        if spec["completionMode"].isNull { spec["completionMode"] = "NonIndexed" }
        if spec["suspend"].isNull { spec["suspend"] = false }
    }
}
