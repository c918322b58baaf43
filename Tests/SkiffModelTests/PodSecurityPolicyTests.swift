import SkiffModel
import Testing

/// Levels, versions and namespace labels read as upstream's `api.PolicyToEvaluate` reads them, errors worded as its
/// `field.Invalid`.
@Suite struct PodSecurityPolicyTests {
    static let namespaceType = ResourceType(
        group: "", version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false)

    @Test(arguments: [
        ("latest", PodSecurityVersion.latest), ("v1.0", .v1(minor: 0)), ("v1.9", .v1(minor: 9)),
        ("v1.25", .v1(minor: 25)), ("v1.100", .v1(minor: 100)),
    ])
    func validVersions(_ text: String, _ version: PodSecurityVersion) throws {
        #expect(try PodSecurityVersion(parsing: text) == version)
        #expect(version.description == text)
    }

    @Test(arguments: [
        "", "v1", "v1.", "v1.05", "v2.0", "1.25", "v1.2x", "V1.2", "v1.-1", "Latest", "v1.99999999999999999999",
    ])
    func invalidVersions(_ text: String) {
        #expect(throws: PodSecurityParseError(detail: #"must be "latest" or "v1.x""#)) {
            try PodSecurityVersion(parsing: text)
        }
    }

    @Test func levelsParseAndOrder() throws {
        #expect(try PodSecurityLevel(parsing: "baseline") == .baseline)
        #expect(throws: PodSecurityParseError(detail: "must be one of privileged, baseline, restricted")) {
            try PodSecurityLevel(parsing: "Restricted")
        }
        #expect(PodSecurityLevel.privileged < .baseline && PodSecurityLevel.baseline < .restricted)
        #expect(PodSecurityVersion.v1(minor: 40) < .latest && PodSecurityVersion.v1(minor: 9) < .v1(minor: 10))
        #expect(PodSecurityLevelVersion(.restricted, .v1(minor: 29)).description == "restricted:v1.29")
    }

    @Test func validLabels() {
        let (policy, errors) = PodSecurityPolicy.evaluate(labels: [
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30",
            "pod-security.kubernetes.io/warn": "baseline", "kubernetes.io/metadata.name": "ns",
        ])
        #expect(errors.isEmpty)
        #expect(policy.enforce == PodSecurityLevelVersion(.restricted, .v1(minor: 30)))
        #expect(policy.audit == .privilegedLatest, "an unlabeled mode keeps the default")
        #expect(policy.warn == PodSecurityLevelVersion(.baseline))
        #expect(policy.description == "enforce=restricted:v1.30, audit=privileged:latest, warn=baseline:latest")
    }

    @Test func warnFollowsAStricterEnforceUnlessLabeled() {
        let follows = PodSecurityPolicy.evaluate(labels: [
            "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.25",
        ])
        #expect(follows.policy.warn == PodSecurityLevelVersion(.baseline, .v1(minor: 25)))
        let ownVersion = PodSecurityPolicy.evaluate(labels: [
            "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn-version": "v1.20",
        ])
        #expect(ownVersion.policy.warn == PodSecurityLevelVersion(.baseline, .v1(minor: 20)))
        let defaults = PodSecurityPolicy(all: PodSecurityLevelVersion(.baseline))
        let fromDefaults = PodSecurityPolicy.evaluate(labels: [:], defaults: defaults)
        #expect(fromDefaults.policy == defaults && fromDefaults.errors.isEmpty)
    }

    @Test func invalidLevelFailsClosedForEnforceAndOpenForWarn() {
        let (policy, errors) = PodSecurityPolicy.evaluate(labels: [
            "pod-security.kubernetes.io/enforce": "foo", "pod-security.kubernetes.io/warn": "strict",
        ])
        #expect(
            errors.map(\.field) == [
                "metadata.labels[pod-security.kubernetes.io/enforce]",
                "metadata.labels[pod-security.kubernetes.io/warn]",
            ])
        #expect(
            errors.map(\.message) == [
                #"Invalid value: "foo": must be one of privileged, baseline, restricted"#,
                #"Invalid value: "strict": must be one of privileged, baseline, restricted"#,
            ])
        #expect(policy.enforce == PodSecurityLevelVersion(.restricted))
        #expect(policy.warn == .privilegedLatest)
        let error = APIError.invalid(Self.namespaceType, "ns", Array(errors.prefix(1)).map(\.cause))
        #expect(error.code == 422)
        #expect(
            error.message
                == #"Namespace "ns" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: "#
                + #"Invalid value: "foo": must be one of privileged, baseline, restricted"#)
        #expect(error.causes.first?.type == "FieldValueInvalid")
    }

    @Test func invalidVersionMeansLatest() {
        let (policy, errors) = PodSecurityPolicy.evaluate(labels: [
            "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "1.25",
        ])
        #expect(
            errors.map(\.description) == [
                #"metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.25": "#
                    + #"must be "latest" or "v1.x""#
            ])
        #expect(policy.audit == PodSecurityLevelVersion(.restricted, .latest))
    }
}
