import Foundation
import SkiffModel
import Testing

@Suite("Server-side apply and managed fields")
struct PatchServerSideApplyTests {
    let ssa = ServerSideApply(registry: PatchFixtures.registry)
    let kind = PatchFixtures.deploymentKind
    static let t0 = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
    static let t1 = Date(timeIntervalSince1970: 1_735_776_000)  // 2025-01-02T00:00:00Z

    static func config(
        replicas: Int? = 2,
        containers: String = #"[{"name":"app","image":"nginx:1","ports":[{"containerPort":80,"protocol":"TCP"}]}]"#
    )
        -> JSON
    {
        let replicasField = replicas.map { "\"replicas\":\($0)," } ?? ""
        return PatchFixtures.parse(
            """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
             "spec":{\(replicasField)"selector":{"matchLabels":{"app":"web"}},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":\(containers)}}}}
            """)
    }

    func entries(_ object: JSON) -> [ManagedFieldsEntry] { ManagedFieldsEntry.entries(of: object) }

    func entry(_ object: JSON, _ manager: String) -> ManagedFieldsEntry? {
        entries(object).first { $0.manager == manager }
    }

    static let replicasPath = FieldPath(fields: "spec", "replicas")
    static let appImagePath = FieldPath([
        .field("spec"), .field("template"), .field("spec"), .field("containers"),
        .key([.init(name: "name", value: "app")]), .field("image"),
    ])

    // MARK: Apply

    @Test func firstApplyCreatesWithUpstreamFieldsV1() throws {
        let result = try ssa.apply(Self.config(), to: nil, kind: kind, manager: "kubectl", now: Self.t0)
        var withoutManaged = result
        withoutManaged["metadata"].removeValue(forKey: "managedFields")
        #expect(withoutManaged == Self.config())
        let managed = result["metadata"]["managedFields"]
        #expect(managed.arrayValue?.count == 1)
        #expect(managed[0]["manager"] == "kubectl")
        #expect(managed[0]["operation"] == "Apply")
        #expect(managed[0]["apiVersion"] == "apps/v1")
        #expect(managed[0]["time"] == "2025-01-01T00:00:00Z")
        #expect(managed[0]["fieldsType"] == "FieldsV1")
        #expect(
            managed[0].objectValue?.keys == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"])
        let expected =
            #"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{"f:matchLabels":{"f:app":{}}},"#
            + #""f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"#
            + #""f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"#
            + #""f:protocol":{}}}}}}}}}"#
        #expect(managed[0]["fieldsV1"].serializedString() == expected)
    }

    @Test func reapplyingIsANoOpAndKeepsTheTime() throws {
        let first = try ssa.apply(Self.config(), to: nil, kind: kind, manager: "kubectl", now: Self.t0)
        let second = try ssa.apply(Self.config(), to: first, kind: kind, manager: "kubectl", now: Self.t1)
        #expect(second == first)
    }

    @Test func droppingAFieldFromTheConfigRemovesIt() throws {
        let first = try ssa.apply(Self.config(), to: nil, kind: kind, manager: "kubectl", now: Self.t0)
        let second = try ssa.apply(Self.config(replicas: nil), to: first, kind: kind, manager: "kubectl", now: Self.t1)
        #expect(!second["spec"].contains(key: "replicas"))
        #expect(entry(second, "kubectl")?.fields.contains(Self.replicasPath) == false)
        #expect(entry(second, "kubectl")?.time == "2025-01-02T00:00:00Z")
    }

    @Test func droppingAContainerRemovesItUnlessSomeoneElseOwnsPartOfIt() throws {
        let two = #"[{"name":"app","image":"nginx:1"},{"name":"sidecar","image":"busybox"}]"#
        let first = try ssa.apply(Self.config(containers: two), to: nil, kind: kind, manager: "kubectl", now: Self.t0)

        let one = #"[{"name":"app","image":"nginx:1"}]"#
        let pruned = try ssa.apply(
            Self.config(containers: one), to: first, kind: kind, manager: "kubectl", now: Self.t1)
        #expect(pruned["spec"]["template"]["spec"]["containers"] == [["name": "app", "image": "nginx:1"]])

        // Another manager changes the sidecar's image: it now owns that field, so the item survives the prune.
        var edited = first
        edited["spec"]["template"]["spec"]["containers"][1]["image"] = "busybox:2"
        let recorded = ssa.recordUpdate(from: first, to: edited, kind: kind, manager: "kubectl-edit", now: Self.t1)
        let kept = try ssa.apply(
            Self.config(containers: one), to: recorded, kind: kind, manager: "kubectl", now: Self.t1)
        #expect(
            kept["spec"]["template"]["spec"]["containers"] == [
                ["name": "app", "image": "nginx:1"], ["name": "sidecar", "image": "busybox:2"],
            ])
    }

    @Test func conflictWithAnUpdaterNamesFieldAndManager() throws {
        let created = ssa.recordUpdate(
            from: nil, to: Self.config(), kind: kind, manager: "kubectl-client-side-apply", now: Self.t0)
        #expect {
            try ssa.apply(Self.config(replicas: 3), to: created, kind: kind, manager: "kubectl", now: Self.t1)
        } throws: { error in
            guard let error = error as? PatchError else { return false }
            let status = error.apiError
            return error.code == .conflict
                && error.message
                    == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
                && status.code == 409 && status.reason == "Conflict"
                && status.causes == [
                    APIError.Cause(
                        type: "FieldManagerConflict",
                        message: #"conflict with "kubectl-client-side-apply" using apps/v1"#,
                        field: ".spec.replicas")
                ]
        }
    }

    @Test func applyingTheSameValueSharesOwnership() throws {
        let created = ssa.recordUpdate(
            from: nil, to: Self.config(), kind: kind, manager: "kubectl-client-side-apply", now: Self.t0)
        let applied = try ssa.apply(Self.config(), to: created, kind: kind, manager: "kubectl", now: Self.t1)
        #expect(entry(applied, "kubectl")?.fields.contains(Self.replicasPath) == true)
        #expect(entry(applied, "kubectl-client-side-apply")?.fields.contains(Self.replicasPath) == true)
        #expect(entries(applied).map(\.operation) == [.apply, .update])
    }

    @Test func forceMovesOwnership() throws {
        let created = ssa.recordUpdate(
            from: nil, to: Self.config(), kind: kind, manager: "kubectl-client-side-apply", now: Self.t0)
        let forced = try ssa.apply(
            Self.config(replicas: 3), to: created, kind: kind, manager: "kubectl", force: true, now: Self.t1)
        #expect(forced["spec"]["replicas"] == 3)
        #expect(entry(forced, "kubectl")?.fields.contains(Self.replicasPath) == true)
        #expect(entry(forced, "kubectl-client-side-apply")?.fields.contains(Self.replicasPath) == false)
        #expect(entry(forced, "kubectl-client-side-apply")?.fields.contains(Self.appImagePath) == true)
    }

    @Test func severalConflictsAreGroupedByManager() throws {
        let created = ssa.recordUpdate(from: nil, to: Self.config(), kind: kind, manager: "deployer", now: Self.t0)
        let other = try ssa.apply(
            PatchFixtures.parse(
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"team":"a"}}}"#),
            to: created, kind: kind, manager: "labeller", now: Self.t0)
        var config = Self.config(replicas: 5, containers: #"[{"name":"app","image":"nginx:9"}]"#)
        config["metadata"]["labels"]["team"] = "b"
        #expect {
            try ssa.apply(config, to: other, kind: kind, manager: "kubectl", now: Self.t1)
        } throws: { error in
            guard let error = error as? PatchError else { return false }
            return error.message == """
                Apply failed with 3 conflicts: conflicts with "deployer" using apps/v1:
                - .spec.replicas
                - .spec.template.spec.containers[name="app"].image
                conflicts with "labeller":
                - .metadata.labels.team
                """
                && error.conflicts.map(\.field) == [
                    ".spec.replicas", #".spec.template.spec.containers[name="app"].image"#, ".metadata.labels.team",
                ]
        }
    }

    @Test func primitiveSetsArePrunedPerValue() throws {
        let base = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["a"]}}"#
        let first = try ssa.apply(
            PatchFixtures.parse(base), to: nil, kind: PatchFixtures.podKind, manager: "m", now: Self.t0)
        #expect(
            entry(first, "m")?.fields.fieldsV1.serializedString() == #"{"f:metadata":{"f:finalizers":{"v:\"a\"":{}}}}"#)
        var withB = first
        withB["metadata"]["finalizers"] = ["a", "b"]
        let updated = ssa.recordUpdate(from: first, to: withB, kind: PatchFixtures.podKind, manager: "gc", now: Self.t1)
        let emptied = try ssa.apply(
            PatchFixtures.parse(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#), to: updated,
            kind: PatchFixtures.podKind, manager: "m", now: Self.t1)
        #expect(emptied["metadata"]["finalizers"] == ["b"])
        #expect(entry(emptied, "m") == nil)
    }

    @Test func subresourceManagersAreNamedInConflicts() throws {
        let pod = PatchFixtures.parse(
            #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n1"}}"#)
        let created = ssa.recordUpdate(
            from: nil, to: pod, kind: PatchFixtures.podKind, manager: "kubectl", now: Self.t0)
        var bound = created
        bound["spec"]["nodeName"] = "n2"
        let status = ssa.recordUpdate(
            from: created, to: bound, kind: PatchFixtures.podKind, manager: "kubelet", now: Self.t1,
            subresource: "status")
        #expect(entry(status, "kubelet")?.subresource == "status")
        #expect(entry(status, "kubelet")?.json["subresource"] == "status")
        #expect(throws: PatchError.self) {
            try ssa.apply(pod, to: status, kind: PatchFixtures.podKind, manager: "applier", now: Self.t1)
        }
        do {
            _ = try ssa.apply(pod, to: status, kind: PatchFixtures.podKind, manager: "applier", now: Self.t1)
        } catch {
            #expect(
                error.message
                    == #"Apply failed with 1 conflict: conflict with "kubelet" with subresource "status" using v1: .spec.nodeName"#
            )
        }
    }

    @Test func ignoredFieldsNeitherMergeNorBecomeOwned() throws {
        var config = Self.config()
        config["status"] = ["replicas": 9]
        let live = try ssa.apply(Self.config(), to: nil, kind: kind, manager: "kubectl", now: Self.t0)
        let result = try ssa.apply(
            config, to: live, kind: kind, manager: "kubectl", now: Self.t1, ignoredFields: ["status"])
        #expect(!result.contains(key: "status"))
        #expect(result == live)
    }

    static let rejected: [(String, String?, PatchError)] = [
        (
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[]}}"#, "kubectl",
            PatchError(.invalidPatch, "metadata.managedFields must be nil")
        ),
        (
            #"{"apiVersion":"apps/v1beta1","kind":"Deployment","metadata":{"name":"web"}}"#, "kubectl",
            PatchError(
                .invalidPatch,
                "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1")
        ),
        (
            #"{"apiVersion":"apps/v1","kind":"Deployment"}"#, nil,
            PatchError(.notApplicable, "fieldManager: Required value: is required for apply patch")
        ),
        (#"[]"#, "kubectl", PatchError(.invalidPatch, "invalid apply configuration: expected an object")),
    ]

    @Test(arguments: rejected)
    func rejectsBadApplyRequests(config: String, manager: String?, error: PatchError) {
        #expect(throws: error) {
            try ssa.apply(PatchFixtures.parse(config), to: nil, kind: kind, manager: manager ?? "", now: Self.t0)
        }
    }

    // MARK: Update bookkeeping

    @Test func updatesRecordWhatChangedAndTakeItFromOthers() throws {
        let applied = try ssa.apply(Self.config(), to: nil, kind: kind, manager: "kubectl", now: Self.t0)
        var changed = applied
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
        changed["spec"]["template"]["metadata"]["annotations"] = ["kubectl.kubernetes.io/restartedAt": "now"]
        let recorded = ssa.recordUpdate(from: applied, to: changed, kind: kind, manager: "kubectl-set", now: Self.t1)
        let setter = try #require(entry(recorded, "kubectl-set"))
        #expect(setter.operation == .update)
        #expect(setter.apiVersion == "apps/v1")
        #expect(setter.time == "2025-01-02T00:00:00Z")
        #expect(
            setter.fields.fieldsV1.serializedString()
                == #"{"f:spec":{"f:template":{"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/restartedAt":{}}},"#
                + #""f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:image":{}}}}}}}"#)
        #expect(entry(recorded, "kubectl")?.fields.contains(Self.appImagePath) == false)
        #expect(entries(recorded).map(\.manager) == ["kubectl", "kubectl-set"])

        // A later apply that changes the image again conflicts with the setter.
        #expect(throws: PatchError.self) {
            try ssa.apply(
                Self.config(
                    containers: #"[{"name":"app","image":"nginx:3","ports":[{"containerPort":80,"protocol":"TCP"}]}]"#),
                to: recorded, kind: kind, manager: "kubectl", now: Self.t1)
        }
    }

    @Test func createRecordsEveryFieldAndRemovalDropsOwnership() throws {
        let created = ssa.recordUpdate(
            from: nil, to: Self.config(), kind: kind, manager: "kubectl-create", now: Self.t0, ignoredFields: ["status"]
        )
        let fields = try #require(entry(created, "kubectl-create")).fields
        #expect(fields.contains(Self.replicasPath))
        #expect(fields.contains(Self.appImagePath))
        #expect(!fields.contains(FieldPath(fields: "metadata", "name")))
        #expect(!fields.contains(FieldPath(fields: "spec")))

        var scaled = created
        scaled["spec"].removeValue(forKey: "replicas")
        scaled["status"] = ["replicas": 2]
        let after = ssa.recordUpdate(
            from: created, to: scaled, kind: kind, manager: "other", now: Self.t1, ignoredFields: ["status"])
        #expect(entry(after, "kubectl-create")?.fields.contains(Self.replicasPath) == false)
        #expect(entry(after, "other") == nil)  // removing and ignored fields own nothing
    }

    @Test func sentManagedFieldsAreKeptAndCanBeReset() throws {
        let created = ssa.recordUpdate(from: nil, to: Self.config(), kind: kind, manager: "a", now: Self.t0)
        var reset = created
        reset["metadata"]["managedFields"] = [.emptyObject]
        reset["spec"]["replicas"] = 4
        let after = ssa.recordUpdate(from: created, to: reset, kind: kind, manager: "b", now: Self.t1)
        #expect(entries(after).map(\.manager) == ["b"])

        var echoed = created
        echoed["spec"]["replicas"] = 4
        let kept = ssa.recordUpdate(from: created, to: echoed, kind: kind, manager: "b", now: Self.t1)
        #expect(entries(kept).map(\.manager) == ["a", "b"])
    }

    // MARK: Formats

    @Test func fieldsV1RoundTripsUpstreamOutput() throws {
        let upstream =
            #"{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:finalizers":{".":{},"v:\"foregroundDeletion\"":{}},"f:labels":{".":{},"f:app":{}}},"#
            + #""f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"#
            + #""f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"#
            + #""f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}"#
        let set = try FieldSet(fieldsV1: PatchFixtures.parse(upstream))
        #expect(set.fieldsV1.serializedString() == upstream)
        #expect(set.contains(FieldPath([.field("metadata"), .field("finalizers"), .value("foregroundDeletion")])))
        #expect(set.contains(FieldPath(fields: "metadata", "labels")))
        #expect(!set.contains(FieldPath(fields: "spec")))
    }

    @Test func pathsPrintLikeUpstream() {
        let port = FieldPath([
            .field("spec"), .field("ports"),
            .key([.init(name: "port", value: 80), .init(name: "protocol", value: "TCP")]),
            .field("targetPort"),
        ])
        #expect(port.description == #".spec.ports[port=80,protocol="TCP"].targetPort"#)
        #expect(
            FieldPath([.field("metadata"), .field("finalizers"), .value("x")]).description
                == #".metadata.finalizers[="x"]"#)
        #expect(FieldPath([.field("args"), .index(2)]).description == ".args[2]")
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (1_735_689_600, "2025-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"),
        (1_735_787_045.9, "2025-01-02T03:04:05Z"), (-1, "1969-12-31T23:59:59Z"),
    ])
    func timestamps(seconds: Double, text: String) {
        #expect(KubeTimestamp.string(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func malformedEntriesAreDropped() {
        let object = PatchFixtures.parse(
            #"{"metadata":{"managedFields":[{"manager":"x","operation":"Frob"},{"manager":"y","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}}]}}"#
        )
        #expect(ManagedFieldsEntry.entries(of: object).map(\.manager) == ["y"])
        #expect(throws: PatchError.self) { try FieldSet(fieldsV1: ["x:y": .emptyObject]) }
    }
}
