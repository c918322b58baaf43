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
        #expect(
            String(decoding: stored, as: UTF8.self)
                == #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"n"},"data":{"a":"b"}}"#)
        let served = try JSON(parsing: StoredBytes.serve(stored, revision: 42))
        #expect(served.resourceVersion == "42")
        #expect(served["data"]["a"] == "b")
        #expect(served.name == "x")
    }

    @Test func emptyMetadataGetsNoTrailingComma() throws {
        let stored = StoredBytes.encode(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject])
        let served = StoredBytes.serve(stored, revision: 7)
        #expect(
            String(decoding: served, as: UTF8.self)
                == #"{"kind":"Status","apiVersion":"v1","metadata":{"resourceVersion":"7"}}"#)
        #expect(try JSON(parsing: served).resourceVersion == "7")
    }

    @Test func decodeSetsResourceVersion() throws {
        let kv = KeyValue(
            key: "/k", value: StoredBytes.encode(["kind": "Pod", "metadata": ["name": "p"]]), createRevision: 3,
            modRevision: 5)
        #expect(try StoredBytes.decode(kv).resourceVersion == "5")
    }
}

@Suite struct DecodedObjectsTests {
    func kv(_ key: String, _ object: JSON, revision: Revision) -> KeyValue {
        KeyValue(key: key, value: StoredBytes.encode(object), createRevision: revision, modRevision: revision)
    }

    @Test func aRememberedWriteIsServedAsIfParsed() throws {
        let cache = DecodedObjects(capacity: 4)
        let object: JSON = ["metadata": ["name": "a"], "kind": "ConfigMap", "apiVersion": "v1", "data": ["k": "v"]]
        let written = kv("/registry/core/configmaps/default/a", object, revision: 7)
        cache.remember(object, as: written)
        let served = try cache.object(written)
        #expect(served == (try StoredBytes.decode(written)))
        #expect(served["metadata"]["resourceVersion"] == "7")
        #expect(try cache.object(written).isIdentical(to: served), "the first reader's ready copy is the one kept")
    }

    @Test func trimmedCopiesLeaveOutManagedFieldsAndAreShared() throws {
        let cache = DecodedObjects(capacity: 4)
        let object: JSON = [
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": ["name": "a", "managedFields": [["manager": "m", "operation": "Update"]]], "data": ["k": "v"],
        ]
        let written = kv("/registry/core/configmaps/default/a", object, revision: 3)
        let trimmed = try cache.trimmedObject(written)
        #expect(trimmed["metadata"]["managedFields"].isNull)
        #expect(trimmed["metadata"]["resourceVersion"] == "3")
        #expect(trimmed["data"] == ["k": "v"])
        #expect(try cache.trimmedObject(written).isIdentical(to: trimmed))
        // The full object is still there for readers that need the managed fields.
        #expect(try cache.object(written)["metadata"]["managedFields"][0]["manager"] == "m")
    }

    @Test func slotsAreMatchedByRevisionAndKey() throws {
        let cache = DecodedObjects(capacity: 4)
        let first = kv("/registry/core/configmaps/default/a", ["metadata": ["name": "a"]], revision: 1)
        cache.remember(["metadata": ["name": "stale"]], as: first)
        // Same slot (1 + 4), other revision: parsed from the bytes, not taken from the slot.
        let later = kv("/registry/core/configmaps/default/a", ["metadata": ["name": "a"]], revision: 5)
        #expect(try cache.object(later).name == "a")
        // Same revision, other key (another store's history): parsed too.
        let other = kv("/registry/core/configmaps/default/b", ["metadata": ["name": "b"]], revision: 5)
        #expect(try cache.object(other).name == "b")
        // An older revision never replaces a newer one in its slot.
        cache.remember(["metadata": ["name": "old"]], as: first)
        #expect(try cache.object(other).name == "b")
    }
}
