/// The parsing engine behind ``JSONParser``: one pass over a byte buffer with explicit stacks instead of recursion.
///
/// Finished values wait on a flat value stack (object keys on a key stack beside it) until their container closes;
/// then they move into the container's own array in one go. Frames record where each open container starts.
struct JSONReader {
    struct Frame {
        var isObject: Bool
        var valueStart: Int
        var keyStart: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    let maxDepth: Int
    let recordsDuplicateKeys: Bool
    var position = 0
    /// Decoded bytes of the string being read when it has escapes; reused across strings.
    var scratch: [UInt8] = []
    /// A cheap summary of the last key read, so duplicate checks rarely compare whole strings.
    var lastFingerprint: UInt64 = 0
    var duplicateKeys: [JSONDuplicateKey] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, recordsDuplicateKeys: Bool) {
        self.bytes = bytes
        self.end = bytes.count
        self.maxDepth = maxDepth
        self.recordsDuplicateKeys = recordsDuplicateKeys
    }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        var frames: [Frame] = []
        var values: [JSON] = []
        var keys: [String] = []
        var fingerprints: [UInt64] = []
        values.reserveCapacity(32)
        keys.reserveCapacity(32)
        fingerprints.reserveCapacity(32)

        skipWhitespace()
        var value: JSON
        nextValue: while true {
            guard position < end else { throw .unexpectedEnd(at: position) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"):
                guard frames.count < maxDepth else { throw .exceededMaxDepth(byte, at: position) }
                position += 1
                skipWhitespace()
                guard position < end else { throw .unexpectedEnd(at: position) }
                if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    frames.append(Frame(isObject: true, valueStart: values.count, keyStart: keys.count))
                    try readKeyAndColon(into: &keys, &fingerprints)
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard frames.count < maxDepth else { throw .exceededMaxDepth(byte, at: position) }
                position += 1
                skipWhitespace()
                guard position < end else { throw .unexpectedEnd(at: position) }
                if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    frames.append(Frame(isObject: false, valueStart: values.count, keyStart: keys.count))
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try readString(fingerprint: false))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try readNumber()
            case UInt8(ascii: "t"):
                try readLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try readLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try readLiteral("null")
                value = .null
            default:
                throw .invalidCharacter(byte, "looking for beginning of value", at: position)
            }

            // A value is complete: hand it to the enclosing containers, closing each that ends here.
            while let frame = frames.last {
                values.append(value)
                skipWhitespace()
                guard position < end else { throw .unexpectedEnd(at: position) }
                let byte = bytes[position]
                if frame.isObject {
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        skipWhitespace()
                        try readKeyAndColon(into: &keys, &fingerprints)
                        continue nextValue
                    }
                    guard byte == UInt8(ascii: "}") else {
                        throw .invalidCharacter(byte, "after object key:value pair", at: position)
                    }
                    position += 1
                    value = .object(
                        closeObject(frames: frames, values: &values, keys: &keys, fingerprints: &fingerprints)
                    )
                } else {
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        skipWhitespace()
                        continue nextValue
                    }
                    guard byte == UInt8(ascii: "]") else {
                        throw .invalidCharacter(byte, "after array element", at: position)
                    }
                    position += 1
                    value = .array(Array(values[frame.valueStart...]))
                    values.removeSubrange(frame.valueStart...)
                }
                frames.removeLast()
            }
            break
        }

        skipWhitespace()
        if position < end {
            throw .invalidCharacter(bytes[position], "after top-level value", at: position)
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Reads `"key"` and the colon after it, leaving the position at the value.
    private mutating func readKeyAndColon(
        into keys: inout [String],
        _ fingerprints: inout [UInt64]
    ) throws(JSONParseError) {
        guard position < end else { throw .unexpectedEnd(at: position) }
        guard bytes[position] == UInt8(ascii: "\"") else {
            throw .invalidCharacter(bytes[position], "looking for beginning of object key string", at: position)
        }
        keys.append(try readString(fingerprint: true))
        fingerprints.append(lastFingerprint)
        skipWhitespace()
        guard position < end else { throw .unexpectedEnd(at: position) }
        guard bytes[position] == UInt8(ascii: ":") else {
            throw .invalidCharacter(bytes[position], "after object key", at: position)
        }
        position += 1
        skipWhitespace()
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONParseError) {
        var offset = 1  // the first byte chose this literal
        while offset < literal.utf8CodeUnitCount {
            let expected = literal.utf8Start[offset]
            guard position + offset < end else { throw .unexpectedEnd(at: end) }
            let byte = bytes[position + offset]
            guard byte == expected else {
                throw .invalidCharacter(
                    byte,
                    "in literal \(literal) (expecting \(JSONParseError.quoted(expected)))",
                    at: position + offset
                )
            }
            offset += 1
        }
        position += offset
    }

    /// Moves the open object's keys and values into a ``JSONObject``, resolving repeated keys.
    private mutating func closeObject(
        frames: [Frame],
        values: inout [JSON],
        keys: inout [String],
        fingerprints: inout [UInt64]
    ) -> JSONObject {
        let frame = frames[frames.count - 1]
        let count = keys.count - frame.keyStart
        var entries: [JSONObject.Entry] = []
        entries.reserveCapacity(count)
        for n in 0..<count {
            entries.append(JSONObject.Entry(key: keys[frame.keyStart + n], value: values[frame.valueStart + n]))
        }
        var hasDuplicates = false
        if count <= JSONObject.indexThreshold {
            // Pairwise over fingerprints; whole keys are compared only when fingerprints collide.
            let base = frame.keyStart
            search: for i in 1..<max(count, 1) {
                for j in 0..<i where fingerprints[base + i] == fingerprints[base + j] {
                    if JSONKey.equal(keys[base + i], keys[base + j]) {
                        hasDuplicates = true
                        break search
                    }
                }
            }
        }
        let object: JSONObject
        if count <= JSONObject.indexThreshold && !hasDuplicates {
            object = JSONObject(uniqueEntries: entries)
        } else {
            var duplicates: [Int] = []
            object = JSONObject.deduplicating(entries, duplicates: &duplicates)
            if !duplicates.isEmpty { record(duplicates, frames: frames, keys: keys) }
        }
        values.removeSubrange(frame.valueStart...)
        keys.removeSubrange(frame.keyStart...)
        fingerprints.removeSubrange(frame.keyStart...)
        return object
    }

    /// Notes repeated keys (given as offsets into the closing object's keys) with their full paths.
    private mutating func record(_ duplicates: [Int], frames: [Frame], keys: [String]) {
        guard recordsDuplicateKeys else { return }
        var prefix: [JSONPathComponent] = []
        for depth in 0..<(frames.count - 1) {
            let frame = frames[depth]
            let child = frames[depth + 1]
            if frame.isObject {
                prefix.append(.key(keys[child.keyStart - 1]))
            } else {
                prefix.append(.index(child.valueStart - frame.valueStart))
            }
        }
        let keyStart = frames[frames.count - 1].keyStart
        for n in duplicates {
            guard duplicateKeys.count < 100 else { return }
            let record = JSONDuplicateKey(path: prefix + [.key(keys[keyStart + n])])
            if !duplicateKeys.contains(record) {
                duplicateKeys.append(record)
            }
        }
    }
}
