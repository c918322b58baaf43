import SkiffModel

/// The stable short hash that names a pod template's revision (`pod-template-hash`, `controller-revision-hash`).
///
/// Upstream (`controller.ComputeHash`) feeds FNV-1a (32 bit) with a `spew` dump of the Go struct, then the
/// collision count as 4 little-endian bytes, and writes the decimal sum with `rand.SafeEncodeString` (each digit
/// mapped into `bcdfghjklmnpqrstvwxz2456789`). A Go struct dump cannot be reproduced from JSON, so the hashed bytes
/// here are a canonical JSON walk instead: object keys sorted byte-wise, `null` members skipped (Go treats a nil
/// field as absent), strings and numbers as the serializer writes them. The collision count and the encoding are
/// upstream's, so names look alike (`web-6d4cf56db6`) and change exactly when the template changes — but the
/// values differ from a real cluster's for the same template.
public enum TemplateHash {
    /// The hash of `template` with an optional collision count, encoded safely for names and label values.
    public static func compute(_ template: JSON, collisionCount: Int? = nil) -> String {
        var hasher = FNV1a32()
        feed(template, into: &hasher)
        if let collisionCount {
            let value = UInt32(truncatingIfNeeded: collisionCount)
            hasher.write([UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)])
        }
        return safeEncode(String(hasher.value))
    }

    /// Upstream `rand.SafeEncodeString`: every byte mapped into an alphabet without vowels or look-alikes.
    public static func safeEncode(_ text: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(text.unicodeScalars.map { alphabet[Int($0.value) % alphabet.count] })
    }

    static func feed(_ value: JSON, into hasher: inout FNV1a32) {
        switch value {
        case .object(let object):
            hasher.write(Array("{".utf8))
            let entries = object.filter { !$0.value.isNull }.sorted {
                Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8))
            }
            for (key, member) in entries {
                JSON.string(key).serialize(into: &hasher.scratch)
                hasher.flushScratch()
                hasher.write(Array(":".utf8))
                feed(member, into: &hasher)
                hasher.write(Array(",".utf8))
            }
            hasher.write(Array("}".utf8))
        case .array(let elements):
            hasher.write(Array("[".utf8))
            for element in elements {
                feed(element, into: &hasher)
                hasher.write(Array(",".utf8))
            }
            hasher.write(Array("]".utf8))
        default:
            value.serialize(into: &hasher.scratch)
            hasher.flushScratch()
        }
    }
}

/// 32-bit FNV-1a.
struct FNV1a32 {
    private(set) var value: UInt32 = 2_166_136_261
    var scratch: [UInt8] = []

    mutating func write(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
    }

    mutating func flushScratch() {
        write(scratch)
        scratch.removeAll(keepingCapacity: true)
    }
}
