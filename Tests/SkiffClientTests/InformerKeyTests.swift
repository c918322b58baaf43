import SkiffClient
import SkiffModel
import Testing

@Suite struct InformerKeyTests {
    @Test func keysAreNamespaceSlashNameOrJustName() {
        #expect(Informer.key(["metadata": ["name": "web", "namespace": "prod"]]) == "prod/web")
        #expect(Informer.key(["metadata": ["name": "node-1"]]) == "node-1")
        #expect(Informer.key(["metadata": ["name": "n", "namespace": ""]]) == "n")
    }
}
