import Foundation
import SkiffCRI
import SkiffModel
import Testing

@testable import SkiffAgent

@Suite("Container and sandbox config")
struct ContainerConfigTests {
    static let references = PodReferences(
        configMaps: ["settings": ["data": ["mode": "fast", "level": "3"]]],
        secrets: ["creds": ["data": ["password": .string(Data("s3cret".utf8).base64EncodedString())]]])

    static func resolver(_ pod: JSON) -> EnvironmentResolver {
        EnvironmentResolver(pod: pod, references: references, podIP: "10.42.0.5", hostIP: "192.168.1.2")
    }

    @Test("env: literal, configMap/secret keys, fieldRefs, envFrom with prefix, $(VAR) expansion")
    func environment() throws {
        let pod = PodFixture.pod { $0["metadata"]["labels"] = ["app": "web"] }
        let container: JSON = [
            "name": "app",
            "envFrom": [["configMapRef": ["name": "settings"], "prefix": "CFG_"]],
            "env": [
                ["name": "GREETING", "value": "hello"],
                ["name": "MESSAGE", "value": "$(GREETING) world $(MISSING) $$(GREETING)"],
                ["name": "PASSWORD", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "password"]]],
                ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "mode"]]],
                ["name": "OPT", "valueFrom": ["configMapKeyRef": ["name": "absent", "key": "x", "optional": true]]],
                ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
                ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
            ],
        ]
        let env = try Self.resolver(pod).resolve(container)
        let values = Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
        #expect(values["CFG_mode"] == "fast")
        #expect(values["CFG_level"] == "3")
        #expect(values["MESSAGE"] == "hello world $(MISSING) $(GREETING)")
        #expect(values["PASSWORD"] == "s3cret")
        #expect(values["MODE"] == "fast")
        #expect(values["OPT"] == nil)
        #expect(values["POD_NAME"] == "web")
        #expect(values["POD_IP"] == "10.42.0.5")
        #expect(values["APP"] == "web")
    }

    @Test("a missing configMap is a CreateContainerConfigError with kubelet's message")
    func missingConfigMap() {
        let container: JSON = [
            "name": "app", "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "x", "key": "k"]]]],
        ]
        #expect(throws: ContainerConfigError(message: "configmap \"x\" not found")) {
            try Self.resolver(PodFixture.pod()).resolve(container)
        }
    }

    @Test("command and args expand $(VAR); resources map to shares, quota and memory; labels and log path")
    func containerConfig() throws {
        let json = PodFixture.pod(containers: [
            [
                "name": "app", "image": "busybox:1.36", "command": ["sh", "-c"], "args": ["echo $(WHO)"],
                "env": [["name": "WHO", "value": "me"]],
                "resources": ["requests": ["cpu": "250m"], "limits": ["cpu": "500m", "memory": "64Mi"]],
                "securityContext": [
                    "capabilities": ["add": ["NET_ADMIN"], "drop": ["ALL"]], "readOnlyRootFilesystem": true,
                ],
            ]
        ]) { $0["spec"]["securityContext"] = ["runAsUser": 1000] }
        let pod = PodSpecView(json)
        let config = try ContainerConfigBuilder(pod: pod, environment: Self.resolver(json)).build(
            pod.containers[0], restartCount: 2, image: "busybox:1.36", mounts: [])
        #expect(config.command == ["sh", "-c"])
        #expect(config.args == ["echo me"])
        #expect(config.resources.cpuShares == 256)
        #expect(config.resources.cpuQuota == 50_000)
        #expect(config.resources.cpuPeriod == 100_000)
        #expect(config.resources.memoryLimitInBytes == 64 * 1024 * 1024)
        #expect(config.security.runAsUser == 1000)
        #expect(config.security.addCapabilities == ["NET_ADMIN"])
        #expect(config.security.readOnlyRootFilesystem)
        #expect(config.labels["io.kubernetes.container.name"] == "app")
        #expect(config.labels["io.kubernetes.pod.uid"] == "uid-web")
        #expect(config.annotations["io.kubernetes.container.restartCount"] == "2")
        #expect(config.logPath == "app/2.log")
        #expect(config.metadata.attempt == 2)
    }

    @Test("sandbox: hostname empty for hostNetwork, ClusterFirst DNS, cgroup parent by QoS, host ports")
    func sandbox() {
        let builder = SandboxConfigBuilder(
            nodeName: "node-a", podLogDirectory: "/var/log/pods", clusterDNS: ["10.43.0.10"],
            clusterDomain: "cluster.local",
            hostDNS: SandboxConfigBuilder.parseResolvConf("nameserver 127.0.0.53\nnameserver 1.1.1.1\n"))
        let plain = PodSpecView(
            PodFixture.pod(containers: [
                ["name": "app", "image": "b", "ports": [["containerPort": 80, "hostPort": 8080]]]
            ]))
        let config = builder.build(plain, attempt: 1)
        #expect(config.hostname == "web")
        #expect(config.network == .pod)
        #expect(
            config.dns
                == DNSConfig(
                    servers: ["10.43.0.10"],
                    searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"])
        )
        #expect(config.cgroupParent == "/kubepods/besteffort/poduid-web")
        #expect(config.logDirectory == "/var/log/pods/default_web_uid-web")
        #expect(config.portMappings == [PortMapping(containerPort: 80, hostPort: 8080)])
        #expect(config.labels["io.kubernetes.pod.uid"] == "uid-web")
        #expect(config.metadata.attempt == 1)

        let host = PodSpecView(PodFixture.pod { $0["spec"]["hostNetwork"] = true })
        let hostConfig = builder.build(host, attempt: 0)
        #expect(hostConfig.hostname == "")
        #expect(hostConfig.network == .node)
        #expect(hostConfig.dns?.servers == ["1.1.1.1"])  // Default policy: the host's, loopback dropped

        let guaranteed = PodSpecView(
            PodFixture.pod(containers: [
                ["name": "app", "image": "b", "resources": ["limits": ["cpu": "1", "memory": "1Gi"]]]
            ]))
        #expect(SandboxConfigBuilder.cgroupParent(guaranteed) == "/kubepods/poduid-web")
    }
}
