/// A resource with a pod template that Pod Security admission checks, by upstream's list
/// (`defaultPodSpecResources`): warned and audited on write, never refused, since refusing is left to the pods
/// their controllers create.
public enum PodSecurityWorkload: String, Sendable, Hashable, CaseIterable {
    case replicationController = "ReplicationController"
    case podTemplate = "PodTemplate"
    case replicaSet = "ReplicaSet"
    case deployment = "Deployment"
    case statefulSet = "StatefulSet"
    case daemonSet = "DaemonSet"
    case job = "Job"
    case cronJob = "CronJob"

    /// The workload of a kind in its API group (`""` for core), or nil when Pod Security ignores the kind.
    public init?(group: String, kind: String) {
        guard let workload = PodSecurityWorkload(rawValue: kind), workload.group == group else { return nil }
        self = workload
    }

    /// The workload of a resource (`deployments.apps`), or nil when Pod Security ignores the resource.
    public init?(_ resource: GroupResource) {
        guard let workload = Self.allCases.first(where: { $0.resource == resource }) else { return nil }
        self = workload
    }

    /// The API group: core, `apps` or `batch`.
    public var group: String {
        switch self {
        case .replicationController, .podTemplate: return ""
        case .replicaSet, .deployment, .statefulSet, .daemonSet: return "apps"
        case .job, .cronJob: return "batch"
        }
    }

    /// The plural resource name in its group.
    public var resource: GroupResource {
        GroupResource(group: group, resource: rawValue.lowercased() + "s")
    }

    /// The pod template's metadata and spec: `template` of a PodTemplate, `spec.jobTemplate.spec.template` of a
    /// CronJob, `spec.template` of the others. Nil when the object has no template, which upstream lets through
    /// unchecked. The template's name is the object's, for messages.
    public func podTemplate(in object: JSON) -> PodSecurityPod? {
        let template: JSON
        switch self {
        case .podTemplate: template = object["template"]
        case .cronJob: template = object["spec"]["jobTemplate"]["spec"]["template"]
        default: template = object["spec"]["template"]
        }
        guard !template.isNull else { return nil }
        return PodSecurityPod(
            name: object["metadata"]["name"].stringValue ?? "", metadata: template["metadata"], spec: template["spec"])
    }
}
