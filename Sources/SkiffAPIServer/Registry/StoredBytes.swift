import SkiffModel
import SkiffStore

/// Objects are stored as canonical JSON bytes without `metadata.resourceVersion`; the store's revision is spliced in
/// when the bytes are served, so reads and lists never parse or re-serialize an object.
enum StoredBytes {
    private static let metadataOpen = Array(#""metadata":{"#.utf8)

    /// Bytes to store for `object` (resourceVersion removed, kind/apiVersion/metadata first).
    static func encode(_ object: JSON) -> [UInt8] {
        var copy = object.canonicalKeyOrder()
        _ = copy.removeValue(at: "metadata", "resourceVersion")
        return copy.serialized()
    }

    /// Stored bytes with `"resourceVersion":"<revision>"` as the first metadata field.
    static func serve(_ stored: [UInt8], revision: Revision) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count + 32)
        append(stored, revision: revision, to: &out)
        return out
    }

    /// Appends the served form of `stored` to `out` (used to build lists and watch events without copies).
    static func append(_ stored: [UInt8], revision: Revision, to out: inout [UInt8]) {
        guard let position = metadataPosition(in: stored) else {
            out.append(contentsOf: stored)
            return
        }
        let insertAt = position + metadataOpen.count
        out.append(contentsOf: stored[..<insertAt])
        out.append(contentsOf: #""resourceVersion":""#.utf8)
        out.append(contentsOf: String(revision).utf8)
        out.append(UInt8(ascii: "\""))
        if insertAt < stored.count, stored[insertAt] != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: stored[insertAt...])
    }

    /// Canonical order puts `metadata` right after the two short string fields, so the first match is the top-level
    /// key (a string value cannot contain an unescaped `"`).
    private static func metadataPosition(in bytes: [UInt8]) -> Int? {
        let limit = min(bytes.count - metadataOpen.count, 512)
        guard limit >= 0 else { return nil }
        var index = 0
        while index <= limit {
            if bytes[index] == metadataOpen[0], bytes[index..<(index + metadataOpen.count)].elementsEqual(metadataOpen)
            {
                return index
            }
            index += 1
        }
        return nil
    }

    /// The parsed object with its resourceVersion set.
    static func decode(_ kv: KeyValue) throws(APIError) -> JSON {
        do {
            var object = try JSON(parsing: kv.value)
            object["metadata"]["resourceVersion"] = .string(String(kv.modRevision))
            return object
        } catch {
            throw APIError.internal("stored object \(kv.key) is not valid JSON: \(error)")
        }
    }
}
