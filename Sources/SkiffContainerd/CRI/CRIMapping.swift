import SkiffCRI

/// Pure conversions between the SkiffCRI values and the generated `runtime.v1` messages; no I/O, so every field is
/// unit-tested without containerd.
enum CRIMapping {
    // MARK: - To the wire

    static func message(_ config: PodSandboxConfig) -> Runtime_V1_PodSandboxConfig {
        .with {
            $0.metadata = message(config.metadata)
            $0.hostname = config.hostname
            $0.logDirectory = config.logDirectory
            if let dns = config.dns {
                $0.dnsConfig = .with {
                    $0.servers = dns.servers
                    $0.searches = dns.searches
                    $0.options = dns.options
                }
            }
            $0.portMappings = config.portMappings.map(message)
            $0.labels = config.labels
            $0.annotations = config.annotations
            $0.linux = .with {
                $0.cgroupParent = config.cgroupParent
                $0.sysctls = config.sysctls
                $0.securityContext = .with {
                    $0.namespaceOptions = namespaces(network: config.network, pid: config.pid, ipc: config.ipc)
                    if let uid = config.runAsUser { $0.runAsUser = .with { $0.value = uid } }
                    if let gid = config.runAsGroup { $0.runAsGroup = .with { $0.value = gid } }
                    $0.supplementalGroups = config.supplementalGroups
                    $0.privileged = config.privileged
                    if let profile = config.seccompProfile { $0.seccomp = message(profile) }
                }
            }
        }
    }

    /// No `server_address`: containerd 1.6 then withholds the credentials from every host but that one, and a
    /// mirror endpoint is another host (kubelet leaves it empty for pull secrets too).
    static func message(_ auth: AuthConfig) -> Runtime_V1_AuthConfig {
        .with {
            $0.username = auth.username
            $0.password = auth.password
            $0.auth = auth.auth
            $0.identityToken = auth.identityToken
            $0.registryToken = auth.registryToken
        }
    }

    static func message(_ metadata: PodSandboxMetadata) -> Runtime_V1_PodSandboxMetadata {
        .with {
            $0.name = metadata.name
            $0.uid = metadata.uid
            $0.namespace = metadata.namespace
            $0.attempt = metadata.attempt
        }
    }

    static func message(_ mapping: PortMapping) -> Runtime_V1_PortMapping {
        .with {
            switch mapping.protocol {
            case .tcp: $0.protocol = .tcp
            case .udp: $0.protocol = .udp
            case .sctp: $0.protocol = .sctp
            }
            $0.containerPort = mapping.containerPort
            $0.hostPort = mapping.hostPort
            $0.hostIp = mapping.hostIP
        }
    }

    static func message(_ mode: NamespaceMode) -> Runtime_V1_NamespaceMode {
        switch mode {
        case .pod: .pod
        case .container: .container
        case .node: .node
        }
    }

    static func namespaces(network: NamespaceMode, pid: NamespaceMode, ipc: NamespaceMode) -> Runtime_V1_NamespaceOption
    {
        .with {
            $0.network = message(network)
            $0.pid = message(pid)
            $0.ipc = message(ipc)
        }
    }

    static func message(_ profile: SeccompProfile) -> Runtime_V1_SecurityProfile {
        .with {
            switch profile {
            case .runtimeDefault: $0.profileType = .runtimeDefault
            case .unconfined: $0.profileType = .unconfined
            case .localhost(let path):
                $0.profileType = .localhost
                $0.localhostRef = path
            }
        }
    }

    static func message(_ mount: Mount) -> Runtime_V1_Mount {
        .with {
            $0.containerPath = mount.containerPath
            $0.hostPath = mount.hostPath
            $0.readonly = mount.readOnly
            switch mount.propagation {
            case .private: $0.propagation = .propagationPrivate
            case .hostToContainer: $0.propagation = .propagationHostToContainer
            case .bidirectional: $0.propagation = .propagationBidirectional
            }
        }
    }

    static func message(_ config: ContainerConfig) -> Runtime_V1_ContainerConfig {
        .with {
            $0.metadata = .with {
                $0.name = config.metadata.name
                $0.attempt = config.metadata.attempt
            }
            $0.image = .with { $0.image = config.image }
            $0.command = config.command
            $0.args = config.args
            $0.workingDir = config.workingDir
            $0.envs = config.env.map { entry in
                .with {
                    $0.key = entry.name
                    $0.value = entry.value
                }
            }
            $0.mounts = config.mounts.map(message)
            $0.labels = config.labels
            $0.annotations = config.annotations
            $0.logPath = config.logPath
            $0.stdin = config.stdin
            $0.stdinOnce = config.stdinOnce
            $0.tty = config.tty
            $0.linux = .with {
                $0.resources = .with {
                    $0.cpuPeriod = config.resources.cpuPeriod
                    $0.cpuQuota = config.resources.cpuQuota
                    $0.cpuShares = config.resources.cpuShares
                    $0.memoryLimitInBytes = config.resources.memoryLimitInBytes
                    $0.oomScoreAdj = config.resources.oomScoreAdj
                }
                $0.securityContext = message(config.security)
            }
        }
    }

    static func message(_ security: ContainerSecurity) -> Runtime_V1_LinuxContainerSecurityContext {
        .with {
            if !security.addCapabilities.isEmpty || !security.dropCapabilities.isEmpty {
                $0.capabilities = .with {
                    $0.addCapabilities = security.addCapabilities
                    $0.dropCapabilities = security.dropCapabilities
                }
            }
            $0.privileged = security.privileged
            $0.namespaceOptions = namespaces(network: security.network, pid: security.pid, ipc: security.ipc)
            if let uid = security.runAsUser { $0.runAsUser = .with { $0.value = uid } }
            if let gid = security.runAsGroup { $0.runAsGroup = .with { $0.value = gid } }
            $0.runAsUsername = security.runAsUsername
            $0.readonlyRootfs = security.readOnlyRootFilesystem
            $0.supplementalGroups = security.supplementalGroups
            $0.noNewPrivs = security.noNewPrivileges
            if let profile = security.seccompProfile { $0.seccomp = message(profile) }
        }
    }

    // MARK: - From the wire

    static func value(_ response: Runtime_V1_VersionResponse) -> RuntimeVersion {
        RuntimeVersion(
            runtimeName: response.runtimeName, runtimeVersion: response.runtimeVersion,
            runtimeAPIVersion: response.runtimeApiVersion)
    }

    static func value(_ condition: Runtime_V1_RuntimeCondition) -> RuntimeCondition {
        RuntimeCondition(
            type: condition.type, status: condition.status, reason: condition.reason, message: condition.message)
    }

    static func value(_ metadata: Runtime_V1_PodSandboxMetadata) -> PodSandboxMetadata {
        PodSandboxMetadata(
            name: metadata.name, uid: metadata.uid, namespace: metadata.namespace, attempt: metadata.attempt)
    }

    static func value(_ state: Runtime_V1_PodSandboxState) -> SandboxState {
        switch state {
        case .sandboxReady: .ready
        default: .notReady
        }
    }

    static func value(_ status: Runtime_V1_PodSandboxStatus) -> PodSandboxStatus {
        PodSandboxStatus(
            id: status.id, metadata: value(status.metadata), state: value(status.state), createdAt: status.createdAt,
            ip: status.network.ip, additionalIPs: status.network.additionalIps.map(\.ip), labels: status.labels,
            annotations: status.annotations)
    }

    static func value(_ sandbox: Runtime_V1_PodSandbox) -> PodSandboxStatus {
        PodSandboxStatus(
            id: sandbox.id, metadata: value(sandbox.metadata), state: value(sandbox.state),
            createdAt: sandbox.createdAt,
            labels: sandbox.labels, annotations: sandbox.annotations)
    }

    static func value(_ state: Runtime_V1_ContainerState) -> ContainerState {
        switch state {
        case .containerCreated: .created
        case .containerRunning: .running
        case .containerExited: .exited
        default: .unknown
        }
    }

    static func value(_ container: Runtime_V1_Container) -> ContainerSummary {
        ContainerSummary(
            id: container.id, sandboxID: container.podSandboxID,
            metadata: ContainerMetadata(name: container.metadata.name, attempt: container.metadata.attempt),
            image: container.image.image, imageRef: container.imageRef, state: value(container.state),
            createdAt: container.createdAt, labels: container.labels, annotations: container.annotations)
    }

    static func value(_ status: Runtime_V1_ContainerStatus) -> ContainerStatus {
        ContainerStatus(
            id: status.id, metadata: ContainerMetadata(name: status.metadata.name, attempt: status.metadata.attempt),
            state: value(status.state), createdAt: status.createdAt, startedAt: status.startedAt,
            finishedAt: status.finishedAt, exitCode: status.exitCode, image: status.image.image,
            imageRef: status.imageRef, reason: status.reason, message: status.message, labels: status.labels,
            annotations: status.annotations, logPath: status.logPath)
    }

    static func value(_ response: Runtime_V1_ExecSyncResponse) -> ExecResult {
        ExecResult(stdout: Array(response.stdout), stderr: Array(response.stderr), exitCode: response.exitCode)
    }

    static func value(_ image: Runtime_V1_Image) -> ImageSummary {
        ImageSummary(
            id: image.id, repoTags: image.repoTags, repoDigests: image.repoDigests, size: image.size,
            pinned: image.pinned)
    }
}
