import Foundation
import SkiffModel
import Testing

/// The patch engines against the generated schema table of the built-in kinds.
@Suite("Patches with the built-in schemas")
struct PatchBuiltinSchemaTests {
    let deployment = GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")
    let service = GroupVersionKind(group: "", version: "v1", kind: "Service")

    @Test func setImageMergesContainersByName() throws {
        let patch = PatchFixtures.parse(
            #"{"spec":{"template":{"spec":{"containers":[{"image":"nginx:2","name":"app"}]}}}}"#)
        let result = try StrategicMergePatch(registry: BuiltinSchemas.registry).apply(
            patch, to: PatchFixtures.deployment, kind: deployment)
        let containers = result["spec"]["template"]["spec"]["containers"]
        #expect(containers.arrayValue?.count == 2)
        #expect(containers[0]["image"] == "nginx:2")
        #expect(containers[0]["env"] == PatchFixtures.deployment["spec"]["template"]["spec"]["containers"][0]["env"])
    }

    @Test func servicePortsMergeByPort() throws {
        let patch = PatchFixtures.parse(#"{"spec":{"ports":[{"port":443,"targetPort":9443}]}}"#)
        let result = try StrategicMergePatch(registry: BuiltinSchemas.registry).apply(
            patch, to: PatchFixtures.service, kind: service)
        #expect(result["spec"]["ports"].arrayValue?.count == 2)
        #expect(result["spec"]["ports"][1]["targetPort"] == 9443)
        #expect(result["spec"]["ports"][1]["name"] == "https")
    }

    @Test func applyOwnsContainerFieldsByKey() throws {
        let ssa = ServerSideApply(registry: BuiltinSchemas.registry)
        let result = try ssa.apply(
            PatchFixtures.deployment, to: nil, kind: deployment, manager: "kubectl",
            now: Date(timeIntervalSince1970: 0))
        let fields = try #require(ManagedFieldsEntry.entries(of: result).first).fields
        let image = FieldPath([
            .field("spec"), .field("template"), .field("spec"), .field("containers"),
            .key([.init(name: "name", value: "app")]), .field("image"),
        ])
        #expect(fields.contains(image))
        #expect(fields.contains(FieldPath(fields: "metadata", "labels", "app")))
    }
}
