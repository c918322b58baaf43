import SkiffModel
import Testing

/// The Pod Security checks against representative pods: which violations, in which order, in upstream's exact
/// words (k8s.io/pod-security-admission v0.32 `policy/check_*.go`).
@Suite struct PodSecurityChecksTests {
    /// A pod named `p` with these spec fields and annotations.
    static func pod(_ spec: JSON, annotations: JSON = .null) -> PodSecurityPod {
        PodSecurityPod(metadata: ["name": "p", "annotations": annotations], spec: spec)
    }

    /// A container with a security context.
    static func container(_ name: String, _ securityContext: JSON = .null, ports: JSON = .null) -> JSON {
        ["name": .string(name), "image": "nginx", "securityContext": securityContext, "ports": ports]
    }

    /// A container context that passes every restricted container check.
    static let hardened: JSON = ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]

    /// A pod context that passes the restricted pod-level checks.
    static let hardenedPod: JSON = ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]]

    static func detail(_ pod: PodSecurityPod, _ level: PodSecurityLevel, _ version: PodSecurityVersion = .latest)
        -> String
    {
        PodSecurityEvaluator.violations(of: pod, at: PodSecurityLevelVersion(level, version)).forbiddenDetail
    }

    static func reasons(_ pod: PodSecurityPod, _ level: PodSecurityLevel, _ version: PodSecurityVersion = .latest)
        -> String
    {
        PodSecurityEvaluator.violations(of: pod, at: PodSecurityLevelVersion(level, version)).forbiddenReason
    }

    static let privilegedPod = pod(["containers": [container("c", ["privileged": true])]])

    @Test func privilegedPodUnderBaseline() {
        #expect(
            Self.detail(Self.privilegedPod, .baseline)
                == #"privileged (container "c" must not set securityContext.privileged=true)"#)
        #expect(Self.detail(Self.privilegedPod, .privileged).isEmpty)
    }

    @Test func privilegedPodUnderRestrictedListsBaselineThenRestrictedChecks() {
        #expect(
            Self.detail(Self.privilegedPod, .restricted)
                == #"privileged (container "c" must not set securityContext.privileged=true), "#
                + #"allowPrivilegeEscalation != false (container "c" must set "#
                + #"securityContext.allowPrivilegeEscalation=false), "#
                + #"unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), "#
                + #"runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), "#
                + #"seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "#
                + #""RuntimeDefault" or "Localhost")"#)
    }

    @Test func compliantRestrictedPodHasNoViolations() {
        let pod = Self.pod([
            "securityContext": [
                "runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": ["type": "RuntimeDefault"],
                "sysctls": [["name": "net.ipv4.tcp_rmem", "value": "4096 87380 16777216"]],
                "seLinuxOptions": ["type": "container_engine_t"],
                "appArmorProfile": ["type": "RuntimeDefault"],
            ],
            "initContainers": [Self.container("init", Self.hardened)],
            "containers": [
                Self.container(
                    "web",
                    [
                        "allowPrivilegeEscalation": false, "privileged": false,
                        "capabilities": ["drop": ["ALL"], "add": ["NET_BIND_SERVICE"]],
                        "seccompProfile": ["type": "Localhost", "localhostProfile": "p.json"], "procMount": "Default",
                    ],
                    ports: [["containerPort": 80]])
            ],
            "volumes": [
                ["name": "config", "configMap": ["name": "c"]], ["name": "scratch", "emptyDir": .emptyObject],
                ["name": "token", "projected": ["sources": []]], ["name": "bare"],
            ],
        ])
        #expect(PodSecurityEvaluator.violations(of: pod, at: PodSecurityLevelVersion(.restricted)).isEmpty)
        // The same pod under the 1.30 policy: tcp_rmem was not yet safe, container_engine_t not yet allowed.
        #expect(
            Self.detail(pod, .restricted, .v1(minor: 30))
                == #"seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "container_engine_t"), "#
                + "forbidden sysctls (net.ipv4.tcp_rmem)")
    }

    @Test func hostNamespacesHostPathAndHostPorts() {
        let pod = Self.pod([
            "hostNetwork": true, "hostPID": true, "hostIPC": false,
            "containers": [
                Self.container(
                    "a", ports: [["containerPort": 80, "hostPort": 8080], ["containerPort": 81, "hostPort": 80]]),
                Self.container("b", ports: [["containerPort": 443, "hostPort": 443], ["containerPort": 9000]]),
            ],
            "volumes": [["name": "host", "hostPath": ["path": "/"]], ["name": "data", "emptyDir": .emptyObject]],
        ])
        #expect(
            Self.detail(pod, .baseline)
                == "host namespaces (hostNetwork=true, hostPID=true), "
                + #"hostPath volumes (volume "host"), "#
                + #"hostPort (containers "a", "b" use hostPorts 443, 80, 8080)"#)
        // Restricted replaces the hostPath check by the volume-type check, which runs with the restricted ones.
        #expect(
            Self.reasons(pod, .restricted)
                == "host namespaces, hostPort, allowPrivilegeEscalation != false, unrestricted capabilities, "
                + "restricted volume types, runAsNonRoot != true, seccompProfile")
        let restricted = PodSecurityEvaluator.violations(of: pod, at: PodSecurityLevelVersion(.restricted))
        #expect(
            restricted.first { $0.reason == "restricted volume types" }?.detail
                == #"volume "host" uses restricted volume type "hostPath""#)
    }

    @Test func restrictedVolumeTypesAreNamedAndCounted() {
        let pod = Self.pod([
            "securityContext": Self.hardenedPod, "containers": [Self.container("c", Self.hardened)],
            "volumes": [
                ["name": "n", "nfs": ["server": "s", "path": "/"]], ["name": "g", "gitRepo": ["repository": "r"]],
                ["name": "i", "image": ["reference": "busybox"]],
                ["name": "pvc", "persistentVolumeClaim": ["claimName": "x"]],
            ],
        ])
        #expect(
            Self.detail(pod, .restricted)
                == #"restricted volume types (volumes "n", "g", "i" use restricted volume types "gitRepo", "nfs", "#
                + #""unknown")"#)
        #expect(Self.detail(pod, .baseline).isEmpty)
    }

    @Test func capabilitiesUnderBaselineAndRestricted() {
        let pod = Self.pod([
            "securityContext": Self.hardenedPod,
            "containers": [
                Self.container(
                    "a", ["allowPrivilegeEscalation": false, "capabilities": ["add": ["NET_ADMIN", "CHOWN"]]]),
                Self.container(
                    "b",
                    [
                        "allowPrivilegeEscalation": false,
                        "capabilities": ["add": ["SYS_ADMIN", "NET_ADMIN"], "drop": ["ALL"]],
                    ]),
                Self.container(
                    "c",
                    [
                        "allowPrivilegeEscalation": false,
                        "capabilities": ["add": ["NET_BIND_SERVICE"], "drop": ["ALL"]],
                    ]),
            ],
        ])
        #expect(
            Self.detail(pod, .baseline)
                == #"non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in "#
                + "securityContext.capabilities.add)")
        #expect(
            Self.detail(pod, .restricted)
                == #"unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]; "#
                + #"containers "a", "b" must not include "CHOWN", "NET_ADMIN", "SYS_ADMIN" in "#
                + "securityContext.capabilities.add)")
        // Before 1.22 restricted had no capability check of its own: the baseline one applied.
        #expect(Self.reasons(pod, .restricted, .v1(minor: 21)) == "non-default capabilities")
    }

    @Test func seccompAtPodLevelCoversContainersUnlessOverridden() {
        let containers: JSON = [Self.container("a", Self.hardened), Self.container("b", Self.hardened)]
        let podLevel = Self.pod(["securityContext": Self.hardenedPod, "containers": containers])
        #expect(Self.detail(podLevel, .restricted).isEmpty)

        let oneContainer = Self.pod([
            "securityContext": ["runAsNonRoot": true],
            "containers": [
                Self.container(
                    "a",
                    [
                        "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
                        "seccompProfile": ["type": "Localhost"],
                    ]),
                Self.container("b", Self.hardened),
            ],
        ])
        #expect(
            Self.detail(oneContainer, .restricted)
                == #"seccompProfile (pod or container "b" must set securityContext.seccompProfile.type to "#
                + #""RuntimeDefault" or "Localhost")"#)

        let unconfined = Self.pod([
            "securityContext": ["runAsNonRoot": true, "seccompProfile": ["type": "Unconfined"]],
            "containers": [
                Self.container(
                    "a",
                    [
                        "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
                        "seccompProfile": ["type": "Unconfined"],
                    ]),
                Self.container("b", Self.hardened),
            ],
        ])
        let unconfinedDetail =
            #"seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")"#
        #expect(Self.detail(unconfined, .baseline) == unconfinedDetail)
        #expect(Self.detail(unconfined, .restricted) == unconfinedDetail)

        let containerOverride = Self.pod([
            "securityContext": Self.hardenedPod,
            "containers": [
                Self.container(
                    "a",
                    [
                        "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
                        "seccompProfile": ["type": "Unconfined"],
                    ])
            ],
        ])
        #expect(
            Self.detail(containerOverride, .restricted)
                == #"seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")"#)
    }

    @Test func runAsNonRootAtPodLevelAndOverriddenPerContainer() {
        let inherited = Self.pod([
            "securityContext": Self.hardenedPod,
            "containers": [Self.container("a", Self.hardened), Self.container("b", Self.hardened)],
        ])
        #expect(Self.detail(inherited, .restricted).isEmpty)

        let overridden = Self.pod([
            "securityContext": Self.hardenedPod,
            "containers": [
                Self.container("a", Self.hardened),
                Self.container(
                    "b", ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": false]),
            ],
        ])
        #expect(
            Self.detail(overridden, .restricted)
                == #"runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false)"#)

        let perContainer = Self.pod([
            "securityContext": ["seccompProfile": ["type": "RuntimeDefault"]],
            "containers": [
                Self.container(
                    "a", ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": true]),
                Self.container("b", Self.hardened),
            ],
        ])
        #expect(
            Self.detail(perContainer, .restricted)
                == #"runAsNonRoot != true (pod or container "b" must set securityContext.runAsNonRoot=true)"#)
    }

    @Test func runAsUserZeroFromVersion123() {
        let pod = Self.pod([
            "securityContext": ["runAsNonRoot": true, "runAsUser": 0, "seccompProfile": ["type": "RuntimeDefault"]],
            "containers": [
                Self.container(
                    "a", ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsUser": 1000])
            ],
        ])
        #expect(Self.detail(pod, .restricted) == "runAsUser=0 (pod must not set runAsUser=0)")
        #expect(Self.detail(pod, .restricted, .v1(minor: 22)).isEmpty)
    }

    @Test func sysctlsOutsideTheSafeSet() {
        let pod = Self.pod([
            "securityContext": [
                "sysctls": [
                    ["name": "kernel.msgmax", "value": "1"], ["name": "net.ipv4.tcp_rmem", "value": "1 2 3"],
                    ["name": "kernel.sem", "value": "1"],
                ]
            ],
            "containers": [Self.container("c")],
        ])
        #expect(Self.detail(pod, .baseline) == "forbidden sysctls (kernel.msgmax, kernel.sem)")
        #expect(
            Self.detail(pod, .baseline, .v1(minor: 31))
                == "forbidden sysctls (kernel.msgmax, net.ipv4.tcp_rmem, kernel.sem)")
        // A version newer than the newest policy evaluates as the newest.
        #expect(Self.detail(pod, .baseline, .v1(minor: 40)) == "forbidden sysctls (kernel.msgmax, kernel.sem)")
    }

    @Test func initAndEphemeralContainersCountInUpstreamsOrder() {
        let pod = Self.pod([
            "containers": [Self.container("c", ["privileged": true]), Self.container("ok")],
            "initContainers": [Self.container("init", ["privileged": true])],
            "ephemeralContainers": [Self.container("debug", ["privileged": true])],
        ])
        #expect(
            Self.detail(pod, .baseline)
                == #"privileged (containers "init", "c", "debug" must not set securityContext.privileged=true)"#)
    }

    @Test func appArmorProcMountSELinuxAndHostProcess() {
        let pod = Self.pod(
            [
                "securityContext": [
                    "appArmorProfile": ["type": "RuntimeDefault"], "seLinuxOptions": ["user": "root", "type": "spc_t"],
                    "windowsOptions": ["hostProcess": true],
                ],
                "containers": [
                    Self.container("c", ["appArmorProfile": ["type": "Unconfined"], "procMount": "Unmasked"])
                ],
            ],
            annotations: ["container.apparmor.security.beta.kubernetes.io/c": "unconfined", "other": "x"])
        #expect(
            Self.detail(pod, .baseline)
                == #"forbidden AppArmor profiles (container "c" and annotation must not set AppArmor profile type to "#
                + #""Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined""), "#
                + #"procMount (container "c" must not set securityContext.procMount to "Unmasked"), "#
                + #"seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set), "#
                + "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)")
    }

    @Test func windowsPodsSkipTheLinuxOnlyRestrictedChecks() {
        let pod = Self.pod(["os": ["name": "windows"], "containers": [Self.container("c")]])
        #expect(Self.reasons(pod, .restricted) == "runAsNonRoot != true")
        #expect(
            Self.reasons(pod, .restricted, .v1(minor: 24))
                == "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile")
    }

    @Test func before119SeccompWasReadFromAnnotations() {
        let pod = Self.pod(
            ["securityContext": ["seccompProfile": ["type": "Unconfined"]], "containers": [Self.container("c")]],
            annotations: [
                "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.seccomp.security.alpha.kubernetes.io/c": "localhost/x",
            ])
        #expect(
            Self.detail(pod, .baseline, .v1(minor: 18))
                == #"seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")"#)
        #expect(
            Self.detail(pod, .baseline, .v1(minor: 19))
                == #"seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#)
    }
}
