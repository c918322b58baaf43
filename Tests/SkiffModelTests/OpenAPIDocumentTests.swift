import Foundation
import SkiffModel
import Testing

@Suite("OpenAPI v3 documents")
struct OpenAPIDocumentTests {
    static let documents = OpenAPIDocuments()

    func document(_ path: String) throws -> JSON {
        let document = try #require(Self.documents.document(at: path))
        return try JSON(parsing: document.bytes)
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256Digest.hexDigest([]) == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
        #expect(
            SHA256Digest.hexDigest(Array("abc".utf8))
                == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Digest.hexDigest(long) == "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256Digest.hexDigest(million) == "CDC76E5C9914FB9281A1C7E284D73E67F1809A48A497200E046D39CCC7112CD0")
    }

    @Test func indexListsEveryGroupVersionWithItsHash() throws {
        let index = try JSON(parsing: Self.documents.indexBytes)
        let paths = try #require(index["paths"].objectValue)
        let expected = ResourceRegistry().groupVersions.map {
            $0.group.isEmpty ? "api/\($0.version)" : "apis/\($0.string)"
        }
        #expect(paths.keys.sorted() == expected.sorted())
        for (path, entry) in paths {
            let document = try #require(Self.documents.document(at: path))
            #expect(
                entry["serverRelativeURL"]
                    == .string("/openapi/v3/\(path)?hash=\(SHA256Digest.hexDigest(document.bytes))"))
        }
        #expect(paths["api/v1"] != nil)
        #expect(paths["apis/apps/v1"] != nil)
        #expect(Self.documents.document(at: "/apis/apps/v1/")?.path == "apis/apps/v1")
        #expect(Self.documents.document(at: "apis/nope/v1") == nil)
    }

    /// A custom resource's schema is published in its group-version's document (what `kubectl explain` and
    /// `kubectl apply`'s client-side validation read), named with the group reversed, as upstream.
    @Test func customResourcesArePublishedWithTheirSchema() throws {
        let schema: JSON = [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object",
                    "properties": ["size": ["type": "integer", "description": "How many sprockets the widget turns."]],
                ]
            ],
        ]
        let widgets = ResourceType(
            group: "skiff.test", version: "v1", kind: "Widget", resource: "widgets", namespaced: true,
            customSchema: schema)
        let documents = OpenAPIDocuments(resources: ResourceRegistry().adding([widgets]))
        let document = try JSON(parsing: try #require(documents.document(at: "apis/skiff.test/v1")).bytes)
        let components = document["components"]["schemas"]
        let widget = components["test.skiff.v1.Widget"]
        #expect(
            widget["x-kubernetes-group-version-kind"] == [["group": "skiff.test", "kind": "Widget", "version": "v1"]])
        #expect(
            widget["properties"]["spec"]["properties"]["size"]["description"] == "How many sprockets the widget turns.")
        #expect(
            widget["properties"]["metadata"]["allOf"][0]["$ref"]
                == "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        #expect(components["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["name"].isNull == false)
        #expect(
            components["test.skiff.v1.WidgetList"]["properties"]["items"]["items"]["$ref"]
                == "#/components/schemas/test.skiff.v1.Widget")
        let path = document["paths"]["/apis/skiff.test/v1/namespaces/{namespace}/widgets/{name}"]
        #expect(path["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Widget")
    }

    @Test func documentsAreStable() {
        let again = OpenAPIDocuments()
        #expect(again.indexBytes == Self.documents.indexBytes)
        for (path, document) in Self.documents.documents {
            #expect(again.documents[path]?.bytes == document.bytes, "\(path)")
        }
    }

    /// What kubectl's `queryParamVerifierV3` does: the first PATCH operation (in map order, so any of them) whose
    /// `x-kubernetes-group-version-kind` matches must declare the `fieldValidation` query parameter.
    @Test(arguments: BuiltinResources.all.filter { $0.supports("patch") })
    func everyPatchOperationDeclaresFieldValidation(_ resource: ResourceType) throws {
        let path = resource.group.isEmpty ? "api/v1" : "apis/\(resource.apiVersion)"
        let paths = try #require(try document(path)["paths"].objectValue)
        var matching = 0
        for (_, item) in paths {
            let patch = item["patch"]
            guard !patch.isNull,
                patch["x-kubernetes-group-version-kind"]
                    == [
                        "group": .string(resource.group), "kind": .string(resource.kind),
                        "version": .string(resource.version),
                    ]
            else { continue }
            matching += 1
            let parameters = patch["parameters"].arrayValue ?? []
            #expect(parameters.contains { $0["name"] == "fieldValidation" && $0["in"] == "query" })
        }
        #expect(matching >= 1, "no PATCH operation for \(resource.kind)")
    }

    @Test func deploymentPathsAndOperations() throws {
        let apps = try document("apis/apps/v1")
        #expect(apps["openapi"] == "3.0.0")
        let item = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
        let patch = item["patch"]
        #expect(patch["x-kubernetes-action"] == "patch")
        #expect(patch["operationId"] == "patchAppsV1NamespacedDeployment")
        let bodyTypes = patch["requestBody"]["content"].objectValue?.keys ?? []
        #expect(
            Set(bodyTypes)
                == [
                    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                ])
        #expect(
            patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                == "#/components/schemas/io.k8s.api.apps.v1.Deployment")
        for verb in ["get", "put", "delete"] { #expect(!item[verb].isNull, "\(verb)") }
        let collection = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]
        #expect(collection["get"]["x-kubernetes-action"] == "list")
        #expect(collection["post"]["x-kubernetes-action"] == "post")
        #expect(collection["delete"]["x-kubernetes-action"] == "deletecollection")
        #expect(!apps["paths"]["/apis/apps/v1/deployments"]["get"].isNull)
        let scale = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
        #expect(scale["x-kubernetes-group-version-kind"] == ["group": "autoscaling", "kind": "Scale", "version": "v1"])
        #expect(!apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]["patch"].isNull)

        let core = try document("api/v1")
        #expect(!core["paths"]["/api/v1/namespaces/{name}"]["patch"].isNull)  // cluster-scoped
        #expect(core["paths"]["/api/v1/namespaces/{namespace}/namespaces"].isNull)
        #expect(core["paths"]["/api/v1/namespaces"]["delete"].isNull)  // namespaces have no deletecollection
        #expect(!core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"].isNull)
        #expect(
            core["paths"]["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]["post"][
                "x-kubernetes-group-version-kind"]
                == ["group": "authentication.k8s.io", "kind": "TokenRequest", "version": "v1"])
    }

    @Test func componentSchemasCarryKindsTypesAndPatchMetadata() throws {
        let apps = try document("apis/apps/v1")
        let schemas = try #require(apps["components"]["schemas"].objectValue)
        let deployment = try #require(schemas["io.k8s.api.apps.v1.Deployment"])
        #expect(
            deployment["x-kubernetes-group-version-kind"] == [["group": "apps", "kind": "Deployment", "version": "v1"]])
        #expect(deployment["properties"]["spec"]["$ref"] == "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec")
        #expect(
            schemas["io.k8s.api.apps.v1.DeploymentSpec"]?["properties"]["replicas"] == [
                "type": "integer", "format": "int32",
            ])
        #expect(schemas["io.k8s.api.apps.v1.DeploymentSpec"]?["required"] == ["selector", "template"])
        let containers = try #require(schemas["io.k8s.api.core.v1.PodSpec"]?["properties"]["containers"])
        #expect(containers["type"] == "array")
        #expect(containers["items"]["$ref"] == "#/components/schemas/io.k8s.api.core.v1.Container")
        #expect(containers["x-kubernetes-patch-merge-key"] == "name")
        #expect(containers["x-kubernetes-patch-strategy"] == "merge")
        #expect(containers["x-kubernetes-list-type"] == "map")
        #expect(containers["x-kubernetes-list-map-keys"] == ["name"])
        let intOrString = try #require(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"])
        #expect(intOrString["format"] == "int-or-string")
        #expect(intOrString["x-kubernetes-int-or-string"] == true)
        #expect(
            schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]?["oneOf"] == [
                ["type": "string"], ["type": "number"],
            ])
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"] == ["type": "string", "format": "date-time"])
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] == ["type": "object"])
        #expect(schemas["io.k8s.api.core.v1.VolumeSource"] == nil)  // protobuf-only messages stay out
        let secretData = try document("api/v1")["components"]["schemas"]["io.k8s.api.core.v1.Secret"]["properties"][
            "data"]
        #expect(secretData == ["type": "object", "additionalProperties": ["type": "string", "format": "byte"]])
    }

    @Test(
        arguments: ResourceRegistry().groupVersions.map { $0.group.isEmpty ? "api/\($0.version)" : "apis/\($0.string)" }
    )
    func everyReferenceResolves(_ path: String) throws {
        let doc = try document(path)
        let schemas = try #require(doc["components"]["schemas"].objectValue)
        var references: [String] = []
        Self.collectReferences(doc, into: &references)
        #expect(!references.isEmpty)
        for reference in Set(references) {
            let name = reference.replacingOccurrences(of: "#/components/schemas/", with: "")
            #expect(schemas[name] != nil, "\(path): \(reference)")
        }
    }

    static func collectReferences(_ value: JSON, into references: inout [String]) {
        switch value {
        case .object(let object):
            for (key, child) in object {
                if key == "$ref", let text = child.stringValue { references.append(text) }
                collectReferences(child, into: &references)
            }
        case .array(let elements):
            for element in elements { collectReferences(element, into: &references) }
        default:
            break
        }
    }

    /// Writes the documents to `$SKIFF_OPENAPI_DUMP` (when set) for checking with the real kubectl by hand:
    /// `tools/serve-openapi-for-kubectl.py DIR` then `kubectl explain deployment.spec.replicas`.
    @Test func dumpForKubectlWhenAsked() throws {
        guard let directory = ProcessInfo.processInfo.environment["SKIFF_OPENAPI_DUMP"] else { return }
        let base = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try Data(Self.documents.indexBytes).write(to: base.appendingPathComponent("index.json"))
        for (path, document) in Self.documents.documents {
            let file = base.appendingPathComponent(path.replacingOccurrences(of: "/", with: "_") + ".json")
            try Data(document.bytes).write(to: file)
        }
    }
}
