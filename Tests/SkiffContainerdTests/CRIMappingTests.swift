import Foundation
import GRPCCore
import SkiffCRI
import Testing

@testable import SkiffContainerd

@Suite struct CRIMappingTests {
    @Test func sandboxConfigCarriesEveryField() {
        let config = PodSandboxConfig(
            metadata: PodSandboxMetadata(name: "web", uid: "u1", namespace: "default", attempt: 2),
            hostname: "web", logDirectory: "/var/log/pods/default_web_u1",
            dns: DNSConfig(servers: ["10.43.0.10"], searches: ["svc.cluster.local"], options: ["ndots:5"]),
            portMappings: [PortMapping(protocol: .udp, containerPort: 53, hostPort: 5353, hostIP: "127.0.0.1")],
            labels: ["app": "web"], annotations: ["a": "b"], network: .node, pid: .pod, ipc: .node,
            cgroupParent: "/kubepods/besteffort/podu1", sysctls: ["net.ipv4.ip_forward": "1"], runAsUser: 1000,
            runAsGroup: 2000, supplementalGroups: [3, 4], privileged: true, seccompProfile: .localhost("/p.json"))
        let message = CRIMapping.message(config)
        #expect(message.metadata.name == "web")
        #expect(message.metadata.uid == "u1")
        #expect(message.metadata.namespace == "default")
        #expect(message.metadata.attempt == 2)
        #expect(message.hostname == "web")
        #expect(message.logDirectory == "/var/log/pods/default_web_u1")
        #expect(message.dnsConfig.servers == ["10.43.0.10"])
        #expect(message.dnsConfig.searches == ["svc.cluster.local"])
        #expect(message.dnsConfig.options == ["ndots:5"])
        #expect(message.portMappings.count == 1)
        #expect(message.portMappings[0].protocol == .udp)
        #expect(message.portMappings[0].containerPort == 53)
        #expect(message.portMappings[0].hostPort == 5353)
        #expect(message.portMappings[0].hostIp == "127.0.0.1")
        #expect(message.labels == ["app": "web"])
        #expect(message.annotations == ["a": "b"])
        #expect(message.linux.cgroupParent == "/kubepods/besteffort/podu1")
        #expect(message.linux.sysctls == ["net.ipv4.ip_forward": "1"])
        let security = message.linux.securityContext
        #expect(security.namespaceOptions.network == .node)
        #expect(security.namespaceOptions.pid == .pod)
        #expect(security.namespaceOptions.ipc == .node)
        #expect(security.hasRunAsUser && security.runAsUser.value == 1000)
        #expect(security.hasRunAsGroup && security.runAsGroup.value == 2000)
        #expect(security.supplementalGroups == [3, 4])
        #expect(security.privileged)
        #expect(security.seccomp.profileType == .localhost)
        #expect(security.seccomp.localhostRef == "/p.json")
    }

    @Test func unsetOptionalsStayUnset() {
        let message = CRIMapping.message(
            PodSandboxConfig(metadata: PodSandboxMetadata(name: "a", uid: "b", namespace: "c")))
        #expect(!message.hasDnsConfig)
        #expect(!message.linux.securityContext.hasRunAsUser)
        #expect(!message.linux.securityContext.hasRunAsGroup)
        #expect(!message.linux.securityContext.hasSeccomp)
        #expect(message.linux.securityContext.namespaceOptions.network == .pod)
        #expect(message.linux.securityContext.namespaceOptions.pid == .container)
    }

    @Test func containerConfigCarriesEveryField() {
        let config = ContainerConfig(
            metadata: ContainerMetadata(name: "main", attempt: 3), image: "docker.io/library/busybox:1.35",
            command: ["sh", "-c"], args: ["echo hi"], workingDir: "/w", env: [("A", "1"), ("A", "2")],
            mounts: [
                Mount(containerPath: "/data", hostPath: "/srv", readOnly: true, propagation: .hostToContainer),
                Mount(containerPath: "/x", hostPath: "/y", propagation: .bidirectional),
            ],
            labels: ["l": "1"], annotations: ["n": "2"], logPath: "main/3.log", stdin: true, stdinOnce: true, tty: true,
            resources: LinuxResources(
                cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512, memoryLimitInBytes: 1 << 24, oomScoreAdj: 999),
            security: ContainerSecurity(
                privileged: true, runAsUser: 0, runAsGroup: 5, runAsUsername: "root", readOnlyRootFilesystem: true,
                supplementalGroups: [7], addCapabilities: ["NET_ADMIN"], dropCapabilities: ["ALL"],
                noNewPrivileges: true, seccompProfile: .runtimeDefault, network: .node, pid: .pod, ipc: .pod))
        let message = CRIMapping.message(config)
        #expect(message.metadata.name == "main" && message.metadata.attempt == 3)
        #expect(message.image.image == "docker.io/library/busybox:1.35")
        #expect(message.command == ["sh", "-c"])
        #expect(message.args == ["echo hi"])
        #expect(message.workingDir == "/w")
        #expect(message.envs.map(\.key) == ["A", "A"])
        #expect(message.envs.map(\.value) == ["1", "2"])
        #expect(message.mounts.map(\.containerPath) == ["/data", "/x"])
        #expect(message.mounts.map(\.hostPath) == ["/srv", "/y"])
        #expect(message.mounts.map(\.readonly) == [true, false])
        #expect(message.mounts.map(\.propagation) == [.propagationHostToContainer, .propagationBidirectional])
        #expect(message.labels == ["l": "1"])
        #expect(message.annotations == ["n": "2"])
        #expect(message.logPath == "main/3.log")
        #expect(message.stdin && message.stdinOnce && message.tty)
        let resources = message.linux.resources
        #expect(resources.cpuPeriod == 100_000)
        #expect(resources.cpuQuota == 50_000)
        #expect(resources.cpuShares == 512)
        #expect(resources.memoryLimitInBytes == 1 << 24)
        #expect(resources.oomScoreAdj == 999)
        let security = message.linux.securityContext
        #expect(security.privileged)
        #expect(security.hasRunAsUser && security.runAsUser.value == 0)
        #expect(security.runAsGroup.value == 5)
        #expect(security.runAsUsername == "root")
        #expect(security.readonlyRootfs)
        #expect(security.supplementalGroups == [7])
        #expect(security.capabilities.addCapabilities == ["NET_ADMIN"])
        #expect(security.capabilities.dropCapabilities == ["ALL"])
        #expect(security.noNewPrivs)
        #expect(security.seccomp.profileType == .runtimeDefault)
        #expect(security.namespaceOptions.network == .node)
        #expect(security.namespaceOptions.pid == .pod)
    }

    @Test func wireFieldNumbersMatchCRI() throws {
        // Field numbers are the contract with containerd: spot-check the encoding of a few against upstream's.
        let request = Runtime_V1_ExecSyncRequest.with {
            $0.containerID = "c"
            $0.cmd = ["x"]
            $0.timeout = 5
        }
        let bytes: [UInt8] = try request.serializedBytes()
        // field 1 (len) "c", field 2 (len) "x", field 3 (varint) 5
        #expect(bytes == [0x0A, 1, 0x63, 0x12, 1, 0x78, 0x18, 5])
        let security = Runtime_V1_LinuxSandboxSecurityContext.with { $0.runAsGroup = .with { $0.value = 1 } }
        let securityBytes: [UInt8] = try security.serializedBytes()
        #expect(securityBytes == [0x42, 2, 0x08, 1])  // run_as_group = 8
        let status = Runtime_V1_ContainerStatus.with { $0.logPath = "p" }
        let statusBytes: [UInt8] = try status.serializedBytes()
        #expect(statusBytes == [0x7A, 1, 0x70])  // log_path = 15
    }

    @Test func responsesMapBack() {
        let sandbox = Runtime_V1_PodSandboxStatus.with {
            $0.id = "s1"
            $0.metadata = .with {
                $0.name = "p"
                $0.uid = "u"
                $0.namespace = "n"
                $0.attempt = 1
            }
            $0.state = .sandboxNotready
            $0.createdAt = 42
            $0.network = .with {
                $0.ip = "10.0.0.2"
                $0.additionalIps = [.with { $0.ip = "fd00::2" }]
            }
            $0.labels = ["a": "b"]
            $0.annotations = ["c": "d"]
        }
        #expect(
            CRIMapping.value(sandbox)
                == PodSandboxStatus(
                    id: "s1", metadata: PodSandboxMetadata(name: "p", uid: "u", namespace: "n", attempt: 1),
                    state: .notReady, createdAt: 42, ip: "10.0.0.2", additionalIPs: ["fd00::2"], labels: ["a": "b"],
                    annotations: ["c": "d"]))
        let listed = Runtime_V1_PodSandbox.with {
            $0.id = "s2"
            $0.state = .sandboxReady
            $0.createdAt = 7
        }
        #expect(CRIMapping.value(listed).state == .ready)
        #expect(CRIMapping.value(listed).createdAt == 7)

        let container = Runtime_V1_ContainerStatus.with {
            $0.id = "c1"
            $0.metadata = .with {
                $0.name = "main"
                $0.attempt = 4
            }
            $0.state = .containerExited
            $0.createdAt = 1
            $0.startedAt = 2
            $0.finishedAt = 3
            $0.exitCode = 137
            $0.image = .with { $0.image = "busybox" }
            $0.imageRef = "sha256:abc"
            $0.reason = "OOMKilled"
            $0.message = "m"
            $0.labels = ["x": "y"]
            $0.annotations = ["z": "w"]
            $0.logPath = "/var/log/pods/x/main/4.log"
        }
        #expect(
            CRIMapping.value(container)
                == ContainerStatus(
                    id: "c1", metadata: ContainerMetadata(name: "main", attempt: 4), state: .exited, createdAt: 1,
                    startedAt: 2, finishedAt: 3, exitCode: 137, image: "busybox", imageRef: "sha256:abc",
                    reason: "OOMKilled", message: "m", labels: ["x": "y"], annotations: ["z": "w"],
                    logPath: "/var/log/pods/x/main/4.log"))

        let summary = Runtime_V1_Container.with {
            $0.id = "c2"
            $0.podSandboxID = "s1"
            $0.metadata = .with { $0.name = "side" }
            $0.image = .with { $0.image = "pause" }
            $0.imageRef = "sha256:def"
            $0.state = .containerRunning
            $0.createdAt = 9
        }
        #expect(
            CRIMapping.value(summary)
                == ContainerSummary(
                    id: "c2", sandboxID: "s1", metadata: ContainerMetadata(name: "side"), image: "pause",
                    imageRef: "sha256:def", state: .running, createdAt: 9))
        #expect(CRIMapping.value(Runtime_V1_ContainerState.containerCreated) == .created)
        #expect(CRIMapping.value(Runtime_V1_ContainerState.containerUnknown) == .unknown)

        let image = Runtime_V1_Image.with {
            $0.id = "sha256:1"
            $0.repoTags = ["docker.io/library/busybox:1.35"]
            $0.repoDigests = ["docker.io/library/busybox@sha256:2"]
            $0.size = 1024
            $0.pinned = true
        }
        #expect(
            CRIMapping.value(image)
                == ImageSummary(
                    id: "sha256:1", repoTags: ["docker.io/library/busybox:1.35"],
                    repoDigests: ["docker.io/library/busybox@sha256:2"], size: 1024, pinned: true))

        let exec = Runtime_V1_ExecSyncResponse.with {
            $0.stdout = Data("out".utf8)
            $0.stderr = Data("err".utf8)
            $0.exitCode = 3
        }
        #expect(CRIMapping.value(exec) == ExecResult(stdout: Array("out".utf8), stderr: Array("err".utf8), exitCode: 3))
        let version = Runtime_V1_VersionResponse.with {
            $0.runtimeName = "containerd"
            $0.runtimeVersion = "1.6.20~ds1"
            $0.runtimeApiVersion = "v1"
        }
        #expect(
            CRIMapping.value(version)
                == RuntimeVersion(runtimeName: "containerd", runtimeVersion: "1.6.20~ds1", runtimeAPIVersion: "v1"))
        let condition = Runtime_V1_RuntimeCondition.with {
            $0.type = "NetworkReady"
            $0.status = false
            $0.reason = "NetworkPluginNotReady"
            $0.message = "cni plugin not initialized"
        }
        #expect(
            CRIMapping.value(condition)
                == RuntimeCondition(
                    type: "NetworkReady", status: false, reason: "NetworkPluginNotReady",
                    message: "cni plugin not initialized"))
    }

    @Test(arguments: [
        (RPCError.Code.notFound, SkiffCRI.RuntimeError.Code.notFound),
        (.unavailable, .unavailable),
        (.deadlineExceeded, .deadlineExceeded),
        (.invalidArgument, .invalidArgument),
        (.alreadyExists, .alreadyExists),
        (.unknown, .failed),
        (.internalError, .failed),
        (.unimplemented, .failed),
    ])
    func rpcErrorCodesMap(rpc: RPCError.Code, expected: SkiffCRI.RuntimeError.Code) {
        let error = SkiffCRI.RuntimeError.wrapping(RPCError(code: rpc, message: "boom"), method: "StopContainer")
        #expect(error.code == expected)
        #expect(error.message == "StopContainer: boom")
        #expect(error.cause is RPCError)
    }
}
