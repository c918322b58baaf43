import SkiffModel
import Testing

@testable import SkiffControllers

/// The pure parts of auto-deploy: which files count, Addon names, document checks and order, what is pruned.
@Suite struct AddonManifestTests {
    @Test func skipTwinsHiddenFilesAndOtherExtensionsAreNotManifests() {
        let paths = [
            "b.yaml", "a.yml", "c.json", "notes.txt", ".hidden.yaml", "off.yaml", "off.yaml.skip", "sub/x.yaml",
            "sub/.y.yaml", "orphan.yaml.skip",
        ]
        #expect(ManifestSelection.manifests(among: paths) == ["a.yml", "b.yaml", "c.json", "sub/x.yaml"])
    }

    @Test func addonNamesComeFromThePathWithoutExtension() {
        #expect(AddonName.forManifest("coredns.yaml") == "coredns")
        #expect(AddonName.forManifest("monitoring/Agent_v2.yml") == "monitoring-agent-v2")
        #expect(AddonName.forManifest("_x_.json") == "x")
        #expect(AddonName.forManifest("___.yaml") == "manifest")
        #expect(AddonName.forManifest(String(repeating: "a", count: 300) + ".yaml").count == 253)
    }

    @Test func namespacesAndDefinitionsGoFirstAndListsAreExpanded() throws {
        let documents: [JSON] = [
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "one", "namespace": "edge"]],
            [
                "apiVersion": "v1", "kind": "List",
                "items": [
                    ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "two"]],
                    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "edge"]],
                ],
            ],
            [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "widgets.example.com"],
            ],
            ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "three"]],
        ]
        let parsed = try ManifestDocuments(documents: documents)
        #expect(parsed.objects.map { $0.name ?? "" } == ["edge", "widgets.example.com", "one", "two", "three"])
    }

    @Test func anObjectWithoutItsIdentityIsRejectedNamingTheDocument() {
        func message(_ documents: [JSON]) -> String? {
            do {
                _ = try ManifestDocuments(documents: documents)
                return nil
            } catch {
                return error.message
            }
        }
        let good: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"]]
        #expect(
            message([good, ["kind": "ConfigMap", "metadata": ["name": "b"]]]) == "document 2: apiVersion is not set")
        #expect(message([["apiVersion": "v1", "metadata": ["name": "b"]]]) == "document 1: kind is not set")
        #expect(
            message([["apiVersion": "v1", "kind": "Pod", "metadata": ["generateName": "p-"]]])
                == "document 1: Pod has no metadata.name (generateName cannot be applied)")
        #expect(message([good, "just text"]) == "document 2: not an object")
        #expect(
            message([["apiVersion": "v1", "kind": "List", "items": [good, ["apiVersion": "v1", "kind": "Secret"]]]])
                == "document 1, item 2: Secret has no metadata.name (generateName cannot be applied)")
        #expect(message([good]) == nil)
    }

    @Test func pruningDeletesWhatIsNoLongerDeclaredNamespacesLast() {
        func reference(_ kind: String, _ name: String, _ namespace: String? = nil) -> AddonObjectReference {
            AddonObjectReference(apiVersion: "v1", kind: kind, namespace: namespace, name: name)
        }
        let previous = [
            reference("Namespace", "edge"), reference("ConfigMap", "a", "edge"), reference("ConfigMap", "b", "edge"),
            reference("Secret", "s", "edge"),
        ]
        let stale = AddonPruning.stale(previous: previous, current: [reference("ConfigMap", "a", "edge")])
        #expect(stale.map(\.name) == ["s", "b", "edge"])
        #expect(AddonPruning.stale(previous: previous, current: Set(previous)).isEmpty)
    }

    @Test func referencesRoundTripThroughAnAddonsStatus() {
        let namespaced = AddonObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "x", name: "web")
        let clusterScoped = AddonObjectReference(apiVersion: "v1", kind: "Namespace", namespace: nil, name: "x")
        #expect(AddonObjectReference(json: namespaced.json) == namespaced)
        #expect(AddonObjectReference(json: clusterScoped.json) == clusterScoped)
        #expect(AddonObjectReference(json: ["kind": "Namespace", "name": "x"]) == nil)
        #expect(namespaced.description == "Deployment.apps/web -n x")
    }
}
