import SkiffModel
import Testing

@Suite struct JSONIdentityTests {
    let pod: JSON = [
        "metadata": ["name": "web", "labels": ["app": "web"]],
        "spec": ["containers": [["name": "app", "image": "nginx"]]],
    ]

    @Test func anUnchangedCopyIsIdenticalDownToItsParts() {
        let copy = pod
        #expect(copy.isIdentical(to: pod))
        var changed = pod
        changed["spec"]["nodeName"] = "node-1"
        // The changed branch is new storage; the untouched ones are still shared.
        #expect(!changed.isIdentical(to: pod))
        #expect(!changed["spec"].isIdentical(to: pod["spec"]))
        #expect(changed["metadata"].isIdentical(to: pod["metadata"]))
        #expect(changed["spec"]["containers"].isIdentical(to: pod["spec"]["containers"]))
    }

    @Test func scalarsAreIdenticalWhenEqual() {
        #expect(JSON.string("a").isIdentical(to: "a"))
        #expect(!JSON.string("a").isIdentical(to: "b"))
        #expect(JSON.int(1).isIdentical(to: .int(1)))
        #expect(!JSON.int(1).isIdentical(to: .string("1")))
        #expect(JSON.null.isIdentical(to: .null))
    }

    @Test func aChangeInASharedSubtreeIsStillFoundByTheManagedFieldsDiff() {
        var next = pod
        next["spec"]["containers"][0]["image"] = "nginx:2"
        let recorded = ServerSideApply(registry: BuiltinSchemas.registry).recordUpdate(
            from: pod, to: next, kind: GroupVersionKind(group: "", version: "v1", kind: "Pod"), manager: "m")
        let fields = recorded["metadata"]["managedFields"][0]["fieldsV1"]
        #expect(fields["f:spec"]["f:containers"][#"k:{"name":"app"}"#]["f:image"] == .emptyObject)
        #expect(fields["f:metadata"].isNull)
    }
}
