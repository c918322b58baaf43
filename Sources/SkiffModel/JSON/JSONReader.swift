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
        // Every finished value goes straight onto the stack, so no value is ever copied on its way into a container.
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
                    values.append(.object(JSONObject()))
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
                    values.append(.array([]))
                } else {
                    frames.append(Frame(isObject: false, valueStart: values.count, keyStart: keys.count))
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                values.append(.string(try readString(fingerprint: false)))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                values.append(try readNumber())
            case UInt8(ascii: "t"):
                try readLiteral("true")
                values.append(.bool(true))
            case UInt8(ascii: "f"):
                try readLiteral("false")
                values.append(.bool(false))
            case UInt8(ascii: "n"):
                try readLiteral("null")
                values.append(.null)
            default:
                throw .invalidCharacter(byte, "looking for beginning of value", at: position)
            }

            // A value is complete: continue its container, closing each container that ends here.
            while let frame = frames.last {
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
                    let object = closeObject(frames: frames, values: &values, keys: &keys, fingerprints: &fingerprints)
                    values.append(.object(object))
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
                    let elements = Self.moveElements(of: &values, from: frame.valueStart)
                    values.append(.array(elements))
                }
                frames.removeLast()
            }
            break
        }

        skipWhitespace()
        if position < end {
            throw .invalidCharacter(bytes[position], "after top-level value", at: position)
        }
        return values.removeLast()
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
        var mayRepeat = count > JSONObject.indexThreshold
        if !mayRepeat {
            // Pairwise over fingerprints; whole keys are compared only when fingerprints collide.
            let base = frame.keyStart
            search: for i in 1..<max(count, 1) {
                for j in 0..<i where fingerprints[base + i] == fingerprints[base + j] {
                    if JSONKey.equal(keys[base + i], keys[base + j]) {
                        mayRepeat = true
                        break search
                    }
                }
            }
        }
        fingerprints.removeLast(count)
        let entries = Self.moveEntries(keys: &keys, from: frame.keyStart, values: &values, from: frame.valueStart)
        guard mayRepeat else { return JSONObject(uniqueEntries: entries) }
        var duplicates: [Int] = []
        let object = JSONObject.deduplicating(entries, duplicates: &duplicates)
        if !duplicates.isEmpty && recordsDuplicateKeys {
            record(duplicates.map { entries[$0].key }, frames: frames, keys: keys)
        }
        return object
    }

    /// Moves the values from `start` on into a new array, without retaining and releasing each one.
    static func moveElements(of values: inout [JSON], from start: Int) -> [JSON] {
        let count = values.count - start
        var elements: [JSON] = []
        elements.reserveCapacity(count)
        values.withUnsafeMutableBufferPointer { stack in
            guard let base = stack.baseAddress else { return }
            for i in start..<(start + count) {
                elements.append((base + i).move())
            }
            (base + start).initialize(repeating: .null, count: count)  // trivial stand-ins for the moved values
        }
        values.removeLast(count)
        return elements
    }

    /// Moves keys and values from the given starts on into entries, without retaining and releasing each one.
    static func moveEntries(
        keys: inout [String],
        from keyStart: Int,
        values: inout [JSON],
        from valueStart: Int
    ) -> [JSONObject.Entry] {
        let count = keys.count - keyStart
        var entries: [JSONObject.Entry] = []
        entries.reserveCapacity(count)
        keys.withUnsafeMutableBufferPointer { keyStack in
            values.withUnsafeMutableBufferPointer { valueStack in
                guard let keyBase = keyStack.baseAddress, let valueBase = valueStack.baseAddress else { return }
                for i in 0..<count {
                    entries.append(
                        JSONObject.Entry(
                            key: (keyBase + keyStart + i).move(), value: (valueBase + valueStart + i).move())
                    )
                }
                // Trivial stand-ins for the moved values.
                (keyBase + keyStart).initialize(repeating: "", count: count)
                (valueBase + valueStart).initialize(repeating: .null, count: count)
            }
        }
        keys.removeLast(count)
        values.removeLast(count)
        return entries
    }

    /// Notes repeated keys of the closing object with their full paths.
    private mutating func record(_ repeated: [String], frames: [Frame], keys: [String]) {
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
        for key in repeated {
            guard duplicateKeys.count < 100 else { return }
            let record = JSONDuplicateKey(path: prefix + [.key(key)])
            if !duplicateKeys.contains(record) {
                duplicateKeys.append(record)
            }
        }
    }
}
