import SkiffModel
import SkiffStore
import Synchronization

/// Parsed objects of recent revisions, shared by everyone in the process who reads them.
///
/// Each in-process informer (scheduler, every controller, simulated nodes) receives every change of its type, and
/// each read-modify-write starts from the live object. Parsing the stored bytes once per revision instead of once per
/// reader takes most JSON parsing off the control plane's path, and the readers' caches then hold one shared copy of
/// each object instead of one each (values share storage until someone changes them).
///
/// A fixed ring indexed by revision: a slot holds the object last seen at a revision with that remainder, so the
/// memory it pins is bounded and a lookup is one locked array read.
final class DecodedObjects: Sendable {
    private struct Slot {
        var revision: Revision = -1
        var key = ""
        var object: JSON = .null
        /// `object` is as the writer had it (`remember`): keys not in stored order, no resourceVersion. Its first
        /// reader makes it ready; most writes (ConfigMaps, Leases, Events) are never read back from the ring.
        var asWritten = false
        /// `object` without `metadata.managedFields`, made by the first reader that asked for it.
        var trimmed: JSON?
    }

    private let slots: Mutex<[Slot]>
    private let mask: Int

    /// `capacity` is rounded up to a power of two.
    init(capacity: Int = 4096) {
        var size = 1
        while size < capacity { size <<= 1 }
        mask = size - 1
        slots = Mutex(Array(repeating: Slot(), count: size))
    }

    /// The parsed form of a stored version (with its resourceVersion), from the ring when someone already parsed it.
    func object(_ kv: KeyValue) throws(APIError) -> JSON {
        let index = Int(truncatingIfNeeded: kv.modRevision) & mask
        // (Spelled out: `JSON` is `ExpressibleByNilLiteral`, so a ternary with `nil` would yield `.null`.)
        let cached = slots.withLock { slots -> (JSON, asWritten: Bool)? in
            let slot = slots[index]
            guard slot.revision == kv.modRevision, slot.key == kv.key else { return nil }
            return (slot.object, slot.asWritten)
        }
        if let (object, asWritten) = cached {
            guard asWritten else { return object }
            let ready = Self.ready(object, kv)
            slots.withLock { slots in
                if slots[index].revision == kv.modRevision, slots[index].key == kv.key, slots[index].asWritten {
                    slots[index].object = ready
                    slots[index].asWritten = false
                }
            }
            return ready
        }
        let object = try StoredBytes.decode(kv)
        store(object, at: index, kv)
        return object
    }

    /// The parsed form without `metadata.managedFields`, shared by every reader that asks for it (informers): one
    /// trimmed copy per revision instead of one per informer.
    func trimmedObject(_ kv: KeyValue) throws(APIError) -> JSON {
        let index = Int(truncatingIfNeeded: kv.modRevision) & mask
        let cached = slots.withLock { slots -> JSON? in
            let slot = slots[index]
            guard slot.revision == kv.modRevision, slot.key == kv.key else { return Optional<JSON>.none }
            return slot.trimmed
        }
        if let cached { return cached }
        var trimmed = try object(kv)
        if trimmed["metadata"].contains(key: "managedFields") {
            trimmed["metadata"].removeValue(forKey: "managedFields")
        }
        let result = trimmed
        slots.withLock { slots in
            if slots[index].revision == kv.modRevision, slots[index].key == kv.key { slots[index].trimmed = result }
        }
        return result
    }

    /// Records `object` (as it was just written, without resourceVersion) as the parsed form of `kv`, so the watchers
    /// of that write and the next update of the object need not parse it.
    func remember(_ object: JSON, as kv: KeyValue) {
        store(object, at: Int(truncatingIfNeeded: kv.modRevision) & mask, kv, asWritten: true)
    }

    /// What parsing the stored bytes of `kv` gives, from the object its writer stored: keys in stored order and the
    /// resourceVersion set.
    private static func ready(_ object: JSON, _ kv: KeyValue) -> JSON {
        var parsed = object.canonicalKeyOrder()
        parsed["metadata"]["resourceVersion"] = .string(String(kv.modRevision))
        return parsed
    }

    private func store(_ object: JSON, at index: Int, _ kv: KeyValue, asWritten: Bool = false) {
        // The evicted slot is handed out of the lock and freed there: freeing a parsed object is a walk over its
        // whole tree, which would otherwise run while every other reader and writer waits for the ring.
        let evicted = slots.withLock { slots -> Slot? in
            guard slots[index].revision <= kv.modRevision else { return nil }
            let evicted = slots[index]
            slots[index] = Slot(revision: kv.modRevision, key: kv.key, object: object, asWritten: asWritten)
            return evicted
        }
        _ = consume evicted
    }
}
