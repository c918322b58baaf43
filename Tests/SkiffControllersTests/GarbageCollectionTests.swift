import SkiffModel
import Testing

@testable import SkiffControllers

@Suite struct GarbageCollectionTests {
    func dependent(owners uids: [String]) -> JSON {
        [
            "metadata": [
                "name": "rs-1",
                "ownerReferences": .array(uids.map { ["uid": .string($0), "kind": "Deployment", "controller": true] }),
            ]
        ]
    }

    @Test func dependentsOfDeletedOwnersAreDeleted() {
        #expect(
            GarbageCollection.decide(dependent: dependent(owners: ["a"]), owners: ["a": .absent]) == .deleteDependent)
        #expect(GarbageCollection.decide(dependent: dependent(owners: ["a"]), owners: ["a": .present]) == nil)
        // One live owner keeps the dependent; an untracked owner kind is never assumed gone.
        #expect(
            GarbageCollection.decide(dependent: dependent(owners: ["a", "b"]), owners: ["a": .absent, "b": .present])
                == nil)
        #expect(GarbageCollection.decide(dependent: dependent(owners: ["a"]), owners: [:]) == nil)
        #expect(GarbageCollection.decide(dependent: ["metadata": ["name": "free"]], owners: [:]) == nil)
    }

    @Test func orphaningAndForegroundDeletion() {
        #expect(
            GarbageCollection.decide(
                dependent: dependent(owners: ["a"]), owners: ["a": .deleting(finalizers: ["orphan"])])
                == .removeOwnerReferences(uids: ["a"]))
        #expect(
            GarbageCollection.decide(
                dependent: dependent(owners: ["a"]), owners: ["a": .deleting(finalizers: ["foregroundDeletion"])])
                == .deleteDependent)
        // An owner held only by someone else's finalizer still counts as present.
        #expect(
            GarbageCollection.decide(
                dependent: dependent(owners: ["a"]), owners: ["a": .deleting(finalizers: ["example.com/x"])]) == nil)
    }
}
