import SkiffCRI
import SkiffModel

/// The pod-level settings kubelet hands the runtime (`generatePodSandboxConfig`).
struct SandboxConfigBuilder {
    var nodeName: String
    var podLogDirectory: String
    var clusterDNS: [String]
    var clusterDomain: String
    /// Nameservers, searches and options of the host's resolv.conf (for dnsPolicy Default and as fallback).
    var hostDNS: DNSConfig

    func logDirectory(_ pod: PodSpecView) -> String { "\(podLogDirectory)/\(pod.namespace)_\(pod.name)_\(pod.uid)" }

    func build(_ pod: PodSpecView, attempt: UInt32) -> PodSandboxConfig {
        let spec = pod.json["spec"]
        let metadata = PodSandboxMetadata(name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: attempt)
        var labels = pod.json.labels
        labels[CRILabels.podName] = pod.name
        labels[CRILabels.podNamespace] = pod.namespace
        labels[CRILabels.podUID] = pod.uid
        var annotations = pod.json.annotations
        annotations["kubernetes.io/config.source"] = "api"
        var ports: [PortMapping] = []
        for container in pod.containers {
            for port in container.json["ports"].arrayValue ?? [] {
                guard let hostPort = port["hostPort"].int64Value, hostPort > 0 else { continue }
                ports.append(
                    PortMapping(
                        protocol: PortMapping.TransportProtocol(rawValue: port["protocol"].stringValue ?? "TCP")
                            ?? .tcp,
                        containerPort: Int32(port["containerPort"].int64Value ?? hostPort), hostPort: Int32(hostPort),
                        hostIP: port["hostIP"].stringValue ?? ""))
            }
        }
        let security = spec["securityContext"]
        var sysctls: [String: String] = [:]
        for sysctl in security["sysctls"].arrayValue ?? [] {
            if let name = sysctl["name"].stringValue { sysctls[name] = sysctl["value"].stringValue ?? "" }
        }
        return PodSandboxConfig(
            metadata: metadata, hostname: pod.hostNetwork ? "" : hostname(pod), logDirectory: logDirectory(pod),
            dns: dns(pod), portMappings: ports, labels: labels, annotations: annotations,
            network: pod.hostNetwork ? .node : .pod, pid: spec["hostPID"].boolValue == true ? .node : .container,
            ipc: spec["hostIPC"].boolValue == true ? .node : .pod, cgroupParent: Self.cgroupParent(pod),
            sysctls: sysctls, runAsUser: security["runAsUser"].int64Value,
            runAsGroup: security["runAsGroup"].int64Value,
            supplementalGroups: (security["supplementalGroups"].arrayValue ?? []).compactMap(\.int64Value),
            privileged: pod.containers.contains { $0.json["securityContext"]["privileged"].boolValue == true },
            seccompProfile: ContainerConfigBuilder.seccomp(security["seccompProfile"]))
    }

    /// `spec.hostname` (or the pod name), truncated to 63 characters as kubelet does.
    func hostname(_ pod: PodSpecView) -> String {
        let name = pod.json["spec"]["hostname"].stringValue ?? pod.name
        return String(name.prefix(63)).trimmingSuffix("-", ".")
    }

    /// kubelet's `GetPodDNS`: ClusterFirst (the default; Default for hostNetwork pods unless ClusterFirstWithHostNet),
    /// Default (the host's resolv.conf), None (only `dnsConfig`), then `dnsConfig` merged in.
    func dns(_ pod: PodSpecView) -> DNSConfig {
        let spec = pod.json["spec"]
        var policy = spec["dnsPolicy"].stringValue ?? "ClusterFirst"
        if policy == "ClusterFirst" && pod.hostNetwork { policy = "Default" }
        var config: DNSConfig
        switch policy {
        case "None":
            config = DNSConfig()
        case "Default":
            config = hostDNS
        default:  // ClusterFirst, ClusterFirstWithHostNet
            let servers = clusterDNS.isEmpty ? hostDNS.servers : clusterDNS
            config = DNSConfig(
                servers: servers,
                searches: ["\(pod.namespace).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain]
                    + hostDNS.searches,
                options: ["ndots:5"])
        }
        let extra = spec["dnsConfig"]
        for server in extra["nameservers"].arrayValue ?? [] {
            if let server = server.stringValue, !config.servers.contains(server) { config.servers.append(server) }
        }
        for search in extra["searches"].arrayValue ?? [] {
            if let search = search.stringValue, !config.searches.contains(search) { config.searches.append(search) }
        }
        for option in extra["options"].arrayValue ?? [] {
            guard let name = option["name"].stringValue else { continue }
            let text = option["value"].stringValue.map { "\(name):\($0)" } ?? name
            config.options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
            config.options.append(text)
        }
        config.servers = Array(config.servers.prefix(3))
        config.searches = Array(config.searches.prefix(32))
        return config
    }

    /// `/kubepods/<qos>/pod<uid>`, or `/kubepods/pod<uid>` for Guaranteed pods (cgroupfs driver).
    static func cgroupParent(_ pod: PodSpecView) -> String {
        switch qosClass(pod) {
        case "Guaranteed": return "/kubepods/pod\(pod.uid)"
        case "Burstable": return "/kubepods/burstable/pod\(pod.uid)"
        default: return "/kubepods/besteffort/pod\(pod.uid)"
        }
    }

    /// The pod's QoS class (`status.qosClass` when set, else computed from the containers' resources).
    static func qosClass(_ pod: PodSpecView) -> String {
        if let qos = pod.json["status"]["qosClass"].stringValue { return qos }
        let all = pod.containers + pod.initContainers
        var anySet = false
        var guaranteed = true
        for container in all {
            let requests = container.json["resources"]["requests"]
            let limits = container.json["resources"]["limits"]
            if !(requests.objectValue?.isEmpty ?? true) || !(limits.objectValue?.isEmpty ?? true) { anySet = true }
            for resource in ["cpu", "memory"] {
                let limit = limits[resource]
                let request = requests[resource].isNull ? limit : requests[resource]
                if limit.isNull || (try? Quantity(json: limit)) != (try? Quantity(json: request)) { guaranteed = false }
            }
        }
        if !anySet { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// Nameservers (without loopback ones, which mean nothing inside a pod), searches and options of a resolv.conf.
    static func parseResolvConf(_ text: String) -> DNSConfig {
        var config = DNSConfig()
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#"), !first.hasPrefix(";") else { continue }
            switch first {
            case "nameserver" where fields.count > 1:
                let server = fields[1]
                if !server.hasPrefix("127.") && server != "::1" { config.servers.append(server) }
            case "search", "domain": config.searches = Array(fields.dropFirst())
            case "options": config.options.append(contentsOf: fields.dropFirst())
            default: break
            }
        }
        return config
    }
}

extension String {
    fileprivate func trimmingSuffix(_ characters: Character...) -> String {
        var text = self
        while let last = text.last, characters.contains(last) { text.removeLast() }
        return text
    }
}
