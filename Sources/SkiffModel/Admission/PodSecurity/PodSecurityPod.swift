/// The part of a pod that Pod Security checks: its metadata (for the AppArmor and seccomp annotations and the
/// owner references) and its spec, each as JSON. A pod, or the pod template of a workload.
public struct PodSecurityPod: Sendable, Hashable {
    /// The pod's name; the namespace warnings name pods by it.
    public var name: String
    public var metadata: JSON
    public var spec: JSON

    /// A pod from its parts; `name` defaults to `metadata.name`.
    public init(name: String? = nil, metadata: JSON, spec: JSON) {
        self.name = name ?? metadata["name"].stringValue ?? ""
        self.metadata = metadata
        self.spec = spec
    }

    /// A whole Pod object.
    public init(pod: JSON) {
        self.init(metadata: pod["metadata"], spec: pod["spec"])
    }

    /// Init containers, then containers, then ephemeral containers: every container upstream's checks visit, in
    /// upstream's order (`visitContainers`).
    var containers: [JSON] {
        ["initContainers", "containers", "ephemeralContainers"].flatMap { spec[$0].arrayValue ?? [] }
    }

    /// `spec.securityContext`.
    var securityContext: JSON { spec["securityContext"] }

    /// Whether `spec.os.name` is `windows`, which exempts the pod from the Linux-only restricted checks (1.25+).
    var isWindows: Bool { spec["os"]["name"].stringValue == "windows" }
}

extension JSON {
    /// The `name` of a container or volume, empty when missing (as a Go zero value).
    var entryName: String { self["name"].stringValue ?? "" }

    /// A set field as text: the string, any other non-null value serialized (so a malformed value still counts as
    /// set and is shown), nil for absent or null.
    var podSecurityText: String? {
        if isNull { return nil }
        return stringValue ?? serializedString()
    }
}
