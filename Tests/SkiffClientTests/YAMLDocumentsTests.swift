import SkiffClient
import SkiffModel
import Testing

@Suite struct YAMLDocumentsTests {
    @Test func everyDocumentInOrderEmptyOnesSkipped() throws {
        let text = """
            ---
            # only a comment
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            data: {replicas: "3", count: 3, on: true, none: null, ratio: 1.5}
            ---
            ---
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}
            """
        let documents = try YAMLDocuments.decodeAll(text)
        #expect(documents.map { $0.name ?? "" } == ["a", "b"])
        #expect(documents[0]["data"]["replicas"] == "3")
        #expect(documents[0]["data"]["count"] == 3)
        #expect(documents[0]["data"]["on"] == true)
        #expect(documents[0]["data"]["none"] == .null)
        #expect(documents[0]["data"]["ratio"] == 1.5)
        #expect(try YAMLDocuments.decodeAll("").isEmpty)
    }

    @Test func brokenYAMLIsAnErrorEvenAfterAGoodDocument() {
        let error = #expect(throws: YAMLDocuments.DecodingError.self) {
            try YAMLDocuments.decodeAll("a: 1\n---\na: [1, 2\nb: c")
        }
        #expect(error?.message.isEmpty == false)
        #expect(throws: YAMLDocuments.DecodingError.self) { try YAMLDocuments.decode("{a: 1") }
    }

    @Test func anchorsAndAliasesResolveAsKubernetesYAMLDoes() throws {
        let documents = try YAMLDocuments.decodeAll("a: &x {k: v}\nb: *x")
        #expect(documents == [["a": ["k": "v"], "b": ["k": "v"]]])
    }
}
