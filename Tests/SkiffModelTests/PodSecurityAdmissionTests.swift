import SkiffModel
import Testing

/// What Pod Security admission answers: the 403 for an enforced pod, the warnings, workload templates, and namespace
/// label changes, in the words kubectl prints (upstream `admission/admission.go`).
@Suite struct PodSecurityAdmissionTests {
    static let privilegedPod: JSON = [
        "metadata": ["name": "nginx"],
        "spec": ["containers": [["name": "nginx", "image": "nginx", "securityContext": ["privileged": true]]]],
    ]

    static let plainPod: JSON = [
        "metadata": ["name": "web"], "spec": ["containers": [["name": "nginx", "image": "nginx"]]],
    ]

    static let restrictedViolations =
        #"allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), "#
        + #"unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), "#
        + #"runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), "#
        + #"seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "#
        + #""RuntimeDefault" or "Localhost")"#

    static func policy(enforce: PodSecurityLevel, warn: PodSecurityLevel) -> PodSecurityPolicy {
        PodSecurityPolicy(
            enforce: PodSecurityLevelVersion(enforce), audit: PodSecurityLevelVersion(enforce),
            warn: PodSecurityLevelVersion(warn))
    }

    @Test func enforceRefusesWithUpstreamsForbiddenMessage() throws {
        let decision = PodSecurityAdmission.evaluatePod(
            PodSecurityPod(pod: Self.plainPod), policy: Self.policy(enforce: .restricted, warn: .restricted))
        #expect(!decision.isAllowed)
        #expect(decision.warnings.isEmpty, "a refused pod gets no warnings")
        let error = try #require(decision.forbidden(podName: "web"))
        #expect(error.code == 403 && error.reason == "Forbidden")
        #expect(
            error.message
                == #"pods "web" is forbidden: violates PodSecurity "restricted:latest": "# + Self.restrictedViolations)
        #expect(error.status["details"] == ["name": "web", "kind": "pods"])
        #expect(
            decision.auditAnnotations == [
                "pod-security.kubernetes.io/enforce-policy": "restricted:latest",
                "pod-security.kubernetes.io/audit-violations": #"would violate PodSecurity "restricted:latest": "#
                    + Self.restrictedViolations,
            ])
    }

    @Test func warnLevelWarnsWhenEnforceAllows() {
        let decision = PodSecurityAdmission.evaluatePod(
            PodSecurityPod(pod: Self.plainPod), policy: Self.policy(enforce: .baseline, warn: .restricted))
        #expect(decision.isAllowed)
        #expect(decision.forbidden(podName: "web") == nil)
        #expect(decision.warnings == [#"would violate PodSecurity "restricted:latest": "# + Self.restrictedViolations])

        let privileged = PodSecurityAdmission.evaluatePod(
            PodSecurityPod(pod: Self.privilegedPod), policy: Self.policy(enforce: .baseline, warn: .restricted))
        #expect(
            privileged.refusal
                == #"violates PodSecurity "baseline:latest": privileged (container "nginx" must not set "#
                + "securityContext.privileged=true)")
    }

    @Test func fullyPrivilegedNamespacesCheckNothing() {
        let policy = PodSecurityPolicy(all: PodSecurityLevelVersion(.privileged, .v1(minor: 25)))
        let decision = PodSecurityAdmission.evaluatePod(PodSecurityPod(pod: Self.privilegedPod), policy: policy)
        // Upstream short-cuts a fully privileged namespace and records `privileged:latest`, whatever the versions.
        #expect(
            decision
                == PodSecurityDecision(auditAnnotations: [
                    "pod-security.kubernetes.io/enforce-policy": "privileged:latest"
                ]))
        #expect(
            PodSecurityAdmission.evaluateWorkload(PodSecurityPod(pod: Self.privilegedPod), policy: policy).warnings
                .isEmpty)
    }

    @Test func unparsableLabelsAreAuditedButStillEvaluated() {
        let (policy, errors) = PodSecurityPolicy.evaluate(labels: ["pod-security.kubernetes.io/enforce": "bogus"])
        let decision = PodSecurityAdmission.evaluatePod(
            PodSecurityPod(pod: Self.plainPod), policy: policy, policyErrors: errors)
        #expect(decision.refusal?.hasPrefix(#"violates PodSecurity "restricted:latest": "#) == true)
        #expect(
            decision.auditAnnotations["pod-security.kubernetes.io/error"]
                == #"Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "#
                + #""bogus": must be one of privileged, baseline, restricted"#)
    }

    @Test func cronJobTemplateIsWarnedNeverRefused() throws {
        let cronJob: JSON = [
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": "nightly"],
            "spec": [
                "schedule": "@daily",
                "jobTemplate": [
                    "spec": [
                        "template": [
                            "metadata": ["labels": ["app": "x"]],
                            "spec": [
                                "hostNetwork": true,
                                "containers": [
                                    ["name": "job", "image": "busybox", "securityContext": ["privileged": true]]
                                ],
                            ],
                        ]
                    ]
                ],
            ],
        ]
        let workload = try #require(PodSecurityWorkload(group: "batch", kind: "CronJob"))
        #expect(workload == .cronJob)
        #expect(PodSecurityWorkload(GroupResource(group: "batch", resource: "cronjobs")) == .cronJob)
        #expect(PodSecurityWorkload(group: "example.com", kind: "CronJob") == nil)
        #expect(PodSecurityWorkload(group: "", kind: "Pod") == nil)
        let template = try #require(workload.podTemplate(in: cronJob))
        #expect(template.metadata == ["labels": ["app": "x"]])
        #expect(template.spec["hostNetwork"] == true)

        let decision = PodSecurityAdmission.evaluateWorkload(
            template, policy: Self.policy(enforce: .restricted, warn: .baseline))
        #expect(decision.isAllowed)
        #expect(
            decision.warnings == [
                #"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), "#
                    + #"privileged (container "job" must not set securityContext.privileged=true)"#
            ])
        #expect(decision.auditAnnotations["pod-security.kubernetes.io/enforce-policy"] == nil)
        #expect(PodSecurityWorkload.deployment.podTemplate(in: ["spec": ["replicas": 1]]) == nil)
        #expect(PodSecurityWorkload.podTemplate.podTemplate(in: ["template": ["spec": .emptyObject]]) != nil)
    }

    @Test func namespaceLabelChanges() {
        let restricted = ["pod-security.kubernetes.io/enforce": "restricted"]
        let bad = ["pod-security.kubernetes.io/enforce": "nope"]
        #expect(PodSecurityAdmission.validateNamespace(labels: restricted, oldLabels: nil) == .allowed)
        #expect(
            PodSecurityAdmission.validateNamespace(labels: bad, oldLabels: nil)
                == .invalid([
                    PodSecurityLabelError(
                        label: "pod-security.kubernetes.io/enforce", value: "nope",
                        detail: "must be one of privileged, baseline, restricted")
                ]))
        #expect(
            PodSecurityAdmission.validateNamespace(labels: restricted, oldLabels: [:])
                == .checkExistingPods(PodSecurityLevelVersion(.restricted)))
        #expect(
            PodSecurityAdmission.validateNamespace(
                labels: ["pod-security.kubernetes.io/enforce": "baseline"], oldLabels: restricted) == .allowed)
        #expect(
            PodSecurityAdmission.validateNamespace(
                labels: ["pod-security.kubernetes.io/enforce": "privileged"], oldLabels: restricted) == .allowed)
        #expect(
            PodSecurityAdmission.validateNamespace(
                labels: restricted.merging(["pod-security.kubernetes.io/enforce-version": "v1.25"]) { $1 },
                oldLabels: restricted) == .checkExistingPods(PodSecurityLevelVersion(.restricted, .v1(minor: 25))))
        // Keeping the same bad label while changing others is allowed; a new bad label is not.
        #expect(
            PodSecurityAdmission.validateNamespace(labels: bad.merging(["team": "a"]) { $1 }, oldLabels: bad)
                == .allowed)
        #expect(PodSecurityAdmission.validateNamespace(labels: bad, oldLabels: restricted) != .allowed)
    }

    static func pod(_ name: String, controller: String? = nil, _ spec: JSON) -> PodSecurityPod {
        var metadata: JSON = ["name": .string(name)]
        if let controller {
            metadata["ownerReferences"] = [
                ["kind": "ReplicaSet", "name": "rs", "uid": .string(controller), "controller": true]
            ]
        }
        return PodSecurityPod(metadata: metadata, spec: spec)
    }

    static let privilegedSpec: JSON = [
        "containers": [["name": "c", "image": "i", "securityContext": ["privileged": true]]]
    ]

    @Test func existingPodWarningsAggregateByReason() {
        let pods = [
            Self.pod("rs-b", controller: "u1", Self.privilegedSpec),
            Self.pod("rs-a", controller: "u1", Self.privilegedSpec),
            Self.pod("p1", Self.privilegedSpec),
            Self.pod("clean", ["containers": [["name": "c", "image": "i"]]]),
            Self.pod("z-host", ["hostNetwork": true, "containers": [["name": "c", "image": "i"]]]),
        ]
        let enforce = PodSecurityLevelVersion(.baseline)
        #expect(
            PodSecurityAdmission.existingPodWarnings(namespace: "team", enforce: enforce, pods: pods) == [
                #"existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest""#,
                "p1 (and 2 other pods): privileged",
                "z-host: host namespaces",
            ])
        // Capped: one pod per controller first, so the second replica is the one left out.
        #expect(
            PodSecurityAdmission.existingPodWarnings(namespace: "team", enforce: enforce, pods: pods, maxPodsToCheck: 4)
                == [
                    "new PodSecurity enforce level only checked against the first 4 of 5 existing pods",
                    #"existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest""#,
                    "p1 (and 1 other pod): privileged",
                    "z-host: host namespaces",
                ])
        #expect(PodSecurityAdmission.existingPodWarnings(namespace: "team", enforce: enforce, pods: [pods[3]]).isEmpty)
    }

    @Test func onlyImageAndContainerChangesAreSignificantUpdates() {
        var relabeled = Self.plainPod
        relabeled["metadata"]["labels"] = ["a": "b"]
        #expect(!PodSecurityAdmission.isSignificantUpdate(relabeled, old: Self.plainPod))
        var reimaged = Self.plainPod
        reimaged["spec"]["containers"][0]["image"] = "nginx:2"
        #expect(PodSecurityAdmission.isSignificantUpdate(reimaged, old: Self.plainPod))
        var debugged = Self.plainPod
        debugged["spec"]["ephemeralContainers"] = [["name": "debug", "image": "busybox"]]
        #expect(PodSecurityAdmission.isSignificantUpdate(debugged, old: Self.plainPod))
        #expect(!PodSecurityAdmission.isSignificantUpdate(debugged, old: debugged))
        #expect(PodSecurityAdmission.ignoredPodSubresources.contains("status"))
        #expect(!PodSecurityAdmission.ignoredPodSubresources.contains("ephemeralcontainers"))
    }
}
