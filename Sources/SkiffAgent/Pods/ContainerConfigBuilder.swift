import SkiffCRI
import SkiffModel

/// One container's runtime config as kubelet builds it (`generateContainerConfig`): image, command and args with
/// `$(VAR)` expanded, environment, mounts, resources, security context, labels and annotations, log path.
struct ContainerConfigBuilder {
    var pod: PodSpecView
    var environment: EnvironmentResolver

    func build(
        _ container: PodSpecView.Container, restartCount: Int, image: String, mounts: [Mount]
    ) throws(ContainerConfigError) -> ContainerConfig {
        let json = container.json
        let env = try environment.resolve(json)
        let values = Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        let command = (json["command"].arrayValue ?? []).compactMap(\.stringValue).map {
            EnvironmentResolver.expand($0, values)
        }
        let args = (json["args"].arrayValue ?? []).compactMap(\.stringValue).map {
            EnvironmentResolver.expand($0, values)
        }
        var labels: [String: String] = [
            CRILabels.podName: pod.name, CRILabels.podNamespace: pod.namespace, CRILabels.podUID: pod.uid,
            CRILabels.containerName: container.name,
        ]
        if container.isInit { labels["io.kubernetes.container.init"] = "true" }
        let annotations: [String: String] = [
            "io.kubernetes.container.restartCount": "\(restartCount)",
            "io.kubernetes.container.terminationMessagePath":
                json["terminationMessagePath"].stringValue ?? "/dev/termination-log",
            "io.kubernetes.container.terminationMessagePolicy": json["terminationMessagePolicy"].stringValue ?? "File",
            "io.kubernetes.pod.terminationGracePeriod": "\(pod.terminationGracePeriodSeconds)",
            "io.kubernetes.container.hash": "\(Self.hash(json.serializedString()))",
        ]
        return ContainerConfig(
            metadata: ContainerMetadata(name: container.name, attempt: UInt32(restartCount)), image: image,
            command: command, args: args, workingDir: json["workingDir"].stringValue ?? "", env: env, mounts: mounts,
            labels: labels, annotations: annotations, logPath: "\(container.name)/\(restartCount).log",
            stdin: json["stdin"].boolValue ?? false, stdinOnce: json["stdinOnce"].boolValue ?? false,
            tty: json["tty"].boolValue ?? false, resources: Self.resources(json["resources"]),
            security: security(json["securityContext"]))
    }

    /// cpu shares from requests (milli·1024/1000, at least 2), quota/period from limits, memory limit in bytes.
    static func resources(_ resources: JSON) -> LinuxResources {
        var linux = LinuxResources()
        let cpuRequest = quantity(resources["requests"]["cpu"]) ?? quantity(resources["limits"]["cpu"])
        if let cpu = cpuRequest {
            linux.cpuShares = max(2, cpu.milliValue * 1024 / 1000)
        } else {
            linux.cpuShares = 2
        }
        if let limit = quantity(resources["limits"]["cpu"]) {
            linux.cpuPeriod = 100_000
            linux.cpuQuota = max(1000, limit.milliValue * 100_000 / 1000)
        }
        if let memory = quantity(resources["limits"]["memory"]) { linux.memoryLimitInBytes = memory.value }
        return linux
    }

    private static func quantity(_ json: JSON) -> Quantity? { json.isNull ? nil : try? Quantity(json: json) }

    /// The container's securityContext over the pod's (container fields win).
    func security(_ container: JSON) -> ContainerSecurity {
        let podContext = pod.json["spec"]["securityContext"]
        func pick(_ key: String) -> JSON { container[key].isNull ? podContext[key] : container[key] }
        let capabilities = container["capabilities"]
        return ContainerSecurity(
            privileged: container["privileged"].boolValue ?? false, runAsUser: pick("runAsUser").int64Value,
            runAsGroup: pick("runAsGroup").int64Value,
            readOnlyRootFilesystem: container["readOnlyRootFilesystem"].boolValue ?? false,
            supplementalGroups: (podContext["supplementalGroups"].arrayValue ?? []).compactMap(\.int64Value),
            addCapabilities: (capabilities["add"].arrayValue ?? []).compactMap(\.stringValue),
            dropCapabilities: (capabilities["drop"].arrayValue ?? []).compactMap(\.stringValue),
            noNewPrivileges: container["allowPrivilegeEscalation"].boolValue == false,
            seccompProfile: Self.seccomp(pick("seccompProfile")),
            network: pod.hostNetwork ? .node : .pod,
            pid: pod.json["spec"]["hostPID"].boolValue == true ? .node : .container,
            ipc: pod.json["spec"]["hostIPC"].boolValue == true ? .node : .pod)
    }

    static func seccomp(_ profile: JSON) -> SeccompProfile? {
        switch profile["type"].stringValue {
        case "RuntimeDefault": return .runtimeDefault
        case "Unconfined": return .unconfined
        case "Localhost": return .localhost(profile["localhostProfile"].stringValue ?? "")
        default: return nil
        }
    }

    /// FNV-1a: a stable hash of the container's spec (Swift's `hashValue` changes per process).
    static func hash(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
