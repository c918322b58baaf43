import SkiffModel
import Testing

@Suite("Strategic merge patch")
struct PatchStrategicMergeTests {
    let patcher = StrategicMergePatch(registry: PatchFixtures.registry)

    func apply(_ patch: String, to original: JSON, kind: GroupVersionKind = PatchFixtures.deploymentKind)
        throws(PatchError)
        -> JSON
    {
        try patcher.apply(PatchFixtures.parse(patch), to: original, kind: kind)
    }

    func containers(_ object: JSON) -> [JSON] {
        object["spec"]["template"]["spec"]["containers"].arrayValue ?? []
    }

    func names(_ list: [JSON], key: String = "name") -> [String] {
        list.compactMap { $0[key].stringValue }
    }

    /// Fails when a directive key survives anywhere in `value`.
    func expectNoDirectives(_ value: JSON, sourceLocation: SourceLocation = #_sourceLocation) {
        switch value {
        case .object(let object):
            for (key, child) in object {
                #expect(!key.hasPrefix("$"), "directive \(key) left in result", sourceLocation: sourceLocation)
                expectNoDirectives(child, sourceLocation: sourceLocation)
            }
        case .array(let elements):
            for element in elements { expectNoDirectives(element, sourceLocation: sourceLocation) }
        default:
            break
        }
    }

    // MARK: Shapes kubectl 1.32 sends

    @Test func kubectlApplyUpdatesImage() throws {
        let patch = #"""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Deployment\"}\n"}},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"sidecar"}],
                                         "containers":[{"image":"nginx:2","name":"app"}]}}}}
            """#
        let result = try apply(patch, to: PatchFixtures.deployment)
        #expect(
            result["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                == "{\"kind\":\"Deployment\"}\n")
        #expect(names(containers(result)) == ["app", "sidecar"])
        #expect(containers(result)[0]["image"] == "nginx:2")
        // Untouched fields of the merged container survive.
        #expect(
            containers(result)[0]["env"] == PatchFixtures.deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        )
        #expect(containers(result)[1] == ["name": "sidecar", "image": "busybox"])
        #expect(result["spec"]["replicas"] == 2)
        expectNoDirectives(result)
    }

    @Test func kubectlApplyRemovesContainer() throws {
        let patch = """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
                                         "containers":[{"$patch":"delete","name":"sidecar"}]}}}}
            """
        let result = try apply(patch, to: PatchFixtures.deployment)
        #expect(names(containers(result)) == ["app"])
        expectNoDirectives(result)
    }

    @Test func kubectlApplyAddsContainerInDeclaredOrder() throws {
        let patch = """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"init"},{"name":"app"},{"name":"sidecar"}],
              "containers":[{"name":"init","image":"alpine","$setElementOrder/env":[{"name":"X"}],"env":[{"name":"X","value":"1"}]}]}}}}
            """
        let result = try apply(patch, to: PatchFixtures.deployment)
        #expect(names(containers(result)) == ["init", "app", "sidecar"])
        #expect(containers(result)[0] == ["name": "init", "image": "alpine", "env": [["name": "X", "value": "1"]]])
        expectNoDirectives(result)
    }

    @Test func kubectlApplyRemovesLabelAndReordersEnv() throws {
        let patch = """
            {"metadata":{"labels":{"app":null,"tier":"web"}},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"sidecar"}],
               "containers":[{"$setElementOrder/env":[{"name":"B"},{"name":"A"}],"name":"app"}]}}}}
            """
        let result = try apply(patch, to: PatchFixtures.deployment)
        #expect(result["metadata"]["labels"] == ["tier": "web"])
        #expect(names(containers(result)[0]["env"].arrayValue ?? []) == ["B", "A"])
        expectNoDirectives(result)
    }

    @Test func kubectlSetImage() throws {
        let result = try apply(
            #"{"spec":{"template":{"spec":{"containers":[{"image":"nginx:3","name":"app"}]}}}}"#,
            to: PatchFixtures.deployment)
        #expect(containers(result)[0]["image"] == "nginx:3")
        #expect(names(containers(result)) == ["app", "sidecar"])
    }

    @Test func kubectlRolloutRestart() throws {
        let result = try apply(
            #"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-02T03:04:05Z"}}}}}"#,
            to: PatchFixtures.deployment)
        #expect(
            result["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
                == "2025-01-02T03:04:05Z")
        #expect(result["spec"]["template"]["metadata"]["labels"] == ["app": "web"])
    }

    @Test func kubectlCordonAndUncordon() throws {
        let cordoned = try apply(
            #"{"spec":{"unschedulable":true}}"#, to: PatchFixtures.node, kind: PatchFixtures.nodeKind)
        #expect(cordoned["spec"] == ["podCIDR": "10.42.0.0/24", "unschedulable": true])
        let uncordoned = try apply(#"{"spec":{"unschedulable":null}}"#, to: cordoned, kind: PatchFixtures.nodeKind)
        #expect(uncordoned["spec"] == ["podCIDR": "10.42.0.0/24"])
    }

    @Test func servicePortsMergeByPort() throws {
        let result = try apply(
            #"{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":8443.0,"name":"alt"}]}}"#,
            to: PatchFixtures.service, kind: PatchFixtures.serviceKind)
        let ports = result["spec"]["ports"].arrayValue ?? []
        // Upstream order: patch items in patch order, a live-only item after the patch items that precede it live.
        #expect(ports.map(\.["port"]) == [80, 8443.0, 443])
        #expect(ports[0] == ["name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090])
        #expect(ports[2]["targetPort"] == 8443)
    }

    @Test func numericMergeKeysCompareAsNumbers() throws {
        let result = try apply(
            #"{"spec":{"ports":[{"port":443.0,"targetPort":1}]}}"#, to: PatchFixtures.service,
            kind: PatchFixtures.serviceKind)
        #expect(result["spec"]["ports"].arrayValue?.count == 2)
        #expect(result["spec"]["ports"][1]["targetPort"] == 1)
    }

    // MARK: Lists

    @Test func listsWithoutMergeStrategyReplace() throws {
        let result = try apply(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"app","args":["--c"]}]}}}}"#,
            to: PatchFixtures.deployment)
        #expect(containers(result)[0]["args"] == ["--c"])
    }

    @Test func envMergesByNameInsideContainer() throws {
        let result = try apply(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"two"},{"name":"C","value":"3"}]}]}}}}"#,
            to: PatchFixtures.deployment)
        #expect(
            containers(result)[0]["env"] == [
                ["name": "A", "value": "1"], ["name": "B", "value": "two"], ["name": "C", "value": "3"],
            ])
    }

    static let finalizerCases: [(String, [String])] = [
        (#"{"metadata":{"finalizers":["c","a"]}}"#, ["c", "a", "b"]),
        (#"{"metadata":{"finalizers":["a"]}}"#, ["a", "b"]),
        (#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, ["b"]),
        (#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","b"],"finalizers":["z"]}}"#, ["z"]),
        (#"{"metadata":{"$setElementOrder/finalizers":["b","a"]}}"#, ["b", "a"]),
        (#"{"metadata":{"$setElementOrder/finalizers":["b","c","a"],"finalizers":["c"]}}"#, ["b", "c", "a"]),
        (#"{"metadata":{"finalizers":null}}"#, []),
    ]

    @Test(arguments: finalizerCases)
    func primitiveMergeListsAreSets(patch: String, expected: [String]) throws {
        let original = PatchFixtures.parse(#"{"metadata":{"name":"p","finalizers":["a","b"]}}"#)
        let result = try apply(patch, to: original, kind: PatchFixtures.podKind)
        #expect(result["metadata"]["finalizers"].arrayValue?.compactMap(\.stringValue) ?? [] == expected)
        expectNoDirectives(result)
    }

    @Test func deleteFromPrimitiveListOnAbsentListIsIgnored() throws {
        let original = PatchFixtures.parse(#"{"metadata":{"name":"p"}}"#)
        let result = try apply(
            #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, to: original, kind: PatchFixtures.podKind)
        #expect(result == original)
    }

    @Test func listReplaceDirective() throws {
        let result = try apply(
            #"{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x","env":[{"name":"E","value":null}]},{"$patch":"replace"}]}}}}"#,
            to: PatchFixtures.deployment)
        #expect(containers(result) == [["name": "only", "image": "x", "env": [["name": "E"]]]])
    }

    // MARK: Maps and directives

    @Test func mapReplaceDirective() throws {
        let result = try apply(
            #"{"metadata":{"labels":{"$patch":"replace","x":"1","gone":null}}}"#, to: PatchFixtures.deployment)
        #expect(result["metadata"]["labels"] == ["x": "1"])
    }

    @Test func mapDeleteDirective() throws {
        let result = try apply(#"{"spec":{"strategy":{"$patch":"delete"}}}"#, to: PatchFixtures.deployment)
        #expect(result["spec"]["strategy"] == .emptyObject)
        let absent = try apply(#"{"spec":{"paused":{"$patch":"delete"}}}"#, to: PatchFixtures.deployment)
        #expect(!absent["spec"].contains(key: "paused"))
    }

    @Test func retainKeysClearsUnlistedFields() throws {
        let result = try apply(
            #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}"#,
            to: PatchFixtures.deployment)
        #expect(result["spec"]["strategy"] == ["type": "Recreate"])
    }

    @Test func kubectlApplySwitchesVolumeSourceWithRetainKeys() throws {
        let pod = PatchFixtures.parse(
            #"{"metadata":{"name":"p"},"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","configMap":{"name":"a"}}]}}"#
        )
        let patch = """
            {"spec":{"$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
              "volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"b"},"name":"data"}]}}
            """
        let result = try apply(patch, to: pod, kind: PatchFixtures.podKind)
        #expect(
            result["spec"]["volumes"] == [
                ["name": "data", "configMap": ["name": "b"]], ["name": "cfg", "configMap": ["name": "a"]],
            ])
        expectNoDirectives(result)
    }

    @Test func nullDeletesAndUnmatchedNullsAreIgnored() throws {
        let result = try apply(
            #"{"spec":{"replicas":null,"template":{"spec":{"nodeSelector":{"disk":null}}}},"status":null}"#,
            to: PatchFixtures.deployment)
        #expect(!result["spec"].contains(key: "replicas"))
        #expect(result["spec"]["template"]["spec"]["nodeSelector"] == .emptyObject)
        #expect(!result.contains(key: "status"))
    }

    @Test func unknownKindMergesMapsAndReplacesLists() throws {
        let original = PatchFixtures.parse(#"{"spec":{"items":[{"name":"a","v":1}],"size":{"w":1,"h":2}}}"#)
        let result = try apply(
            #"{"spec":{"items":[{"name":"b"}],"size":{"h":3,"w":null}}}"#, to: original, kind: PatchFixtures.unknownKind
        )
        #expect(result == PatchFixtures.parse(#"{"spec":{"items":[{"name":"b"}],"size":{"h":3}}}"#))
    }

    @Test func kindChangeReplacesValue() throws {
        let result = try apply(#"{"spec":{"replicas":{"nested":true}}}"#, to: PatchFixtures.deployment)
        #expect(result["spec"]["replicas"] == ["nested": true])
    }

    @Test func originalNullIsTreatedAsEmpty() throws {
        let result = try patcher.apply(["metadata": ["name": "x"]], to: .null, schema: nil)
        #expect(result == ["metadata": ["name": "x"]])
    }

    // MARK: Errors

    static let errorCases: [(String, PatchError.Code, String)] = [
        (
            #"{"spec":{"template":{"spec":{"containers":[{"$patch":"merge","name":"app"}]}}}}"#, .invalidPatch,
            "merging lists cannot yet be specified in the patch"
        ),
        (
            #"{"spec":{"strategy":{"$patch":"frob"}}}"#, .invalidPatch,
            #"unknown patch type: frob in map: {"$patch":"frob"}"#
        ),
        (
            #"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#, .notApplicable,
            #"map: {"image":"x"} does not contain declared merge key: name"#
        ),
        (
            #"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}"#, .invalidPatch,
            "invalid patch format of retainKeys"
        ),
        (#"{"spec":{"strategy":{"$retainKeys":"type"}}}"#, .invalidPatch, "invalid patch format of retainKeys"),
        (
            #"{"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}}"#, .invalidPatch,
            "invalid patch format of primitive list"
        ),
        (
            #"{"spec":{"template":{"spec":{"$setElementOrdercontainers":[]}}}}"#, .invalidPatch,
            "invalid patch format of setElementOrder list"
        ),
        (
            #"{"spec":{"template":{"spec":{"$setElementOrder/containers":{"name":"app"}}}}}"#, .invalidPatch,
            "invalid patch format of setElementOrder list"
        ),
    ]

    @Test(arguments: errorCases)
    func rejectsBadPatches(patch: String, code: PatchError.Code, message: String) {
        #expect(throws: PatchError(code, message)) {
            try apply(patch, to: PatchFixtures.deployment)
        }
    }

    @Test func setElementOrderMustMatchPatchOrder() {
        let patch = """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
              "containers":[{"name":"app","image":"a"},{"name":"other","image":"b"}]}}}}
            """
        #expect {
            try apply(patch, to: PatchFixtures.deployment)
        } throws: { error in
            guard let error = error as? PatchError else { return false }
            return error.code == .invalidPatch && error.message.hasPrefix("The order in patch list:")
        }
    }

    @Test func nonObjectPatchIsInvalidDocument() {
        #expect(throws: PatchError(.invalidPatch, "invalid JSON document")) {
            try apply("[1]", to: PatchFixtures.deployment)
        }
    }

    @Test func listsOfListsAreRejected() {
        let original = PatchFixtures.parse(#"{"metadata":{"finalizers":[]}}"#)
        #expect(throws: PatchError(.notApplicable, "lists of lists are not supported")) {
            try apply(#"{"metadata":{"finalizers":[["a"]]}}"#, to: original, kind: PatchFixtures.podKind)
        }
    }

    @Test func mixedListElementsAreRejected() {
        let original = PatchFixtures.parse(#"{"metadata":{"finalizers":["a"]}}"#)
        #expect(throws: PatchError.self) {
            try apply(#"{"metadata":{"finalizers":[1]}}"#, to: original, kind: PatchFixtures.podKind)
        }
    }
}
