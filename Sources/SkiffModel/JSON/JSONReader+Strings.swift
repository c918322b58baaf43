extension JSONReader {
    /// Reads a string whose opening quote is at the current position.
    mutating func readString(fingerprint wantsFingerprint: Bool) throws(JSONParseError) -> String {
        let start = position + 1
        let stop = findSpecialByte(from: start)
        if stop < end && bytes[stop] == UInt8(ascii: "\"") {
            // The common case: plain ASCII, no escapes; the bytes are the string.
            position = stop + 1
            let run = UnsafeBufferPointer(rebasing: bytes[start..<stop])
            if wantsFingerprint { lastFingerprint = Self.fingerprint(run) }
            return String(decoding: run, as: UTF8.self)
        }
        return try readStringSlowly(start: start, from: stop, wantsFingerprint: wantsFingerprint)
    }

    /// Handles escapes, non-ASCII and errors. Unescaped runs are copied in bulk; a string without escapes is never
    /// copied at all.
    private mutating func readStringSlowly(
        start: Int,
        from first: Int,
        wantsFingerprint: Bool
    ) throws(JSONParseError) -> String {
        var i = first
        var runStart = start
        var escaped = false
        while true {
            guard i < end else { throw .unexpectedEnd(at: end) }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                if !escaped {
                    scratch.removeAll(keepingCapacity: true)
                    escaped = true
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                i = try readEscape(at: i)
                runStart = i
            } else if byte < 0x20 {
                throw .invalidCharacter(byte, "in string literal", at: i)
            } else if byte >= 0x80 {
                i = try skipUTF8Sequence(at: i)
            } else {
                i += 1
            }
            i = findSpecialByte(from: i)
        }
        position = i + 1
        guard escaped else {
            let run = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if wantsFingerprint { lastFingerprint = Self.fingerprint(run) }
            return String(decoding: run, as: UTF8.self)
        }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
        let (string, fingerprint) = scratch.withUnsafeBufferPointer { decoded in
            (String(decoding: decoded, as: UTF8.self), wantsFingerprint ? Self.fingerprint(decoded) : 0)
        }
        lastFingerprint = fingerprint
        return string
    }

    /// Reads the escape whose backslash is at `i` into `scratch`; returns the offset after it.
    private mutating func readEscape(at i: Int) throws(JSONParseError) -> Int {
        guard i + 1 < end else { throw .unexpectedEnd(at: end) }
        let code = bytes[i + 1]
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            scratch.append(code)
        case UInt8(ascii: "b"):
            scratch.append(0x08)
        case UInt8(ascii: "f"):
            scratch.append(0x0C)
        case UInt8(ascii: "n"):
            scratch.append(0x0A)
        case UInt8(ascii: "r"):
            scratch.append(0x0D)
        case UInt8(ascii: "t"):
            scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4(at: i + 2)
            var next = i + 6
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate counts only with a low one right after; alone it becomes U+FFFD, as in Go, and
                // whatever follows is read normally.
                if next + 1 < end, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u"),
                    let low = peekHex4(at: next + 2), (0xDC00...0xDFFF).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    next += 6
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(scalar) {
                scalar = 0xFFFD
            }
            appendUTF8(scalar)
            return next
        default:
            throw .invalidCharacter(code, "in string escape code", at: i + 1)
        }
        return i + 2
    }

    private func readHex4(at start: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for i in start..<(start + 4) {
            guard i < end else { throw .unexpectedEnd(at: end) }
            guard let digit = Self.hexValue(bytes[i]) else {
                throw .invalidCharacter(bytes[i], #"in \u hexadecimal character escape"#, at: i)
            }
            value = value << 4 | digit
        }
        return value
    }

    private func peekHex4(at start: Int) -> UInt32? {
        guard start + 4 <= end else { return nil }
        var value: UInt32 = 0
        for i in start..<(start + 4) {
            guard let digit = Self.hexValue(bytes[i]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte &- UInt8(ascii: "A") &+ 10)
        default: return nil
        }
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Checks the UTF-8 sequence starting at `i` (RFC 3629: no overlongs, surrogates or values past U+10FFFF);
    /// returns the offset after it.
    private func skipUTF8Sequence(at i: Int) throws(JSONParseError) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw .invalidUTF8(at: i)
        }
        for k in 1..<length {
            guard i + k < end else { throw .unexpectedEnd(at: end) }
            let byte = bytes[i + k]
            guard byte >= low && byte <= high else { throw .invalidUTF8(at: i) }
            low = 0x80
            high = 0xBF
        }
        return i + length
    }

    /// The offset of the first byte from `start` that ends the fast string scan: a quote, a backslash, a control
    /// character or a non-ASCII byte; `end` if none. Checks eight bytes per step.
    @inline(__always)
    func findSpecialByte(from start: Int) -> Int {
        var i = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i &+ 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let mask = Self.specialByteMask(word)
                if mask != 0 {
                    return i &+ mask.trailingZeroBitCount &>> 3
                }
                i &+= 8
            }
        }
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 {
                return i
            }
            i &+= 1
        }
        return end
    }

    /// Sets the high bit of each byte lane that holds `"`, `\`, a control character or a non-ASCII byte. Borrows
    /// can set spurious bits, but only in lanes above a genuine hit, so the lowest set bit is always exact.
    @inline(__always)
    static func specialByteMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let quoteLanes = (quotes &- ones) & ~quotes
        let backslashLanes = (backslashes &- ones) & ~backslashes
        let controlLanes = (word &- ones &* 0x20) & ~word
        return (quoteLanes | backslashLanes | controlLanes | word) & (ones &* 0x80)
    }

    /// An exact summary for keys up to seven bytes, a well-mixed one above; equal keys always agree.
    @inline(__always)
    static func fingerprint(_ run: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let count = run.count
        guard count > 0, let base = run.baseAddress else { return 0 }
        if count >= 8 {
            let raw = UnsafeRawPointer(base)
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            return (head ^ (tail &* 0x9E37_79B9_7F4A_7C15)) ^ UInt64(truncatingIfNeeded: count) << 56
        }
        var value: UInt64 = 0
        for byte in run {
            value = value << 8 | UInt64(byte)
        }
        return value | UInt64(count) << 56
    }
}
