import SkiffModel
import SkiffStore
import Testing
@testable import SkiffAPIServer

@Suite struct StoredBytesTests {
    @Test func resourceVersionIsSplicedIntoStoredBytes() throws {
        let object: JSON = [
            "apiVersion": "v1", "data": ["a": "b"], "kind": "ConfigMap",
            "metadata": ["name": "x", "resourceVersion": "999", "namespace": "n"],
        ]
        let stored = StoredBytes.encode(object)
        #expect(String(decoding: stored, as: UTF8.self) == #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"n"},"data":{"a":"b"}}"#)
        let served = try JSON(parsing: StoredBytes.serve(stored, revision: 42))
        #expect(served.resourceVersion == "42")
        #expect(served["data"]["a"] == "b")
        #expect(served.name == "x")
    }

    @Test func emptyMetadataGetsNoTrailingComma() throws {
        let stored = StoredBytes.encode(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject])
        let served = StoredBytes.serve(stored, revision: 7)
        #expect(String(decoding: served, as: UTF8.self) == #"{"kind":"Status","apiVersion":"v1","metadata":{"resourceVersion":"7"}}"#)
        #expect(try JSON(parsing: served).resourceVersion == "7")
    }

    @Test func decodeSetsResourceVersion() throws {
        let kv = KeyValue(key: "/k", value: StoredBytes.encode(["kind": "Pod", "metadata": ["name": "p"]]), createRevision: 3, modRevision: 5)
        #expect(try StoredBytes.decode(kv).resourceVersion == "5")
    }
}
