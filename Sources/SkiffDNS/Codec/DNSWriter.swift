/// Builds a message's bytes, compressing names against the ones already written.
struct DNSWriter {
    var bytes: [UInt8]
    /// Offsets of every label sequence written so far that a pointer can reach (below 0x4000).
    var suffixes: [Int] = []

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func write(_ value: UInt32) {
        write(UInt16(value >> 16))
        write(UInt16(value & 0xFFFF))
    }

    mutating func set(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes a name; with `compress`, its longest suffix already written becomes a pointer.
    mutating func write(_ name: DNSName, compress: Bool) {
        let wire = name.wire
        // Only names written before this one are candidates: this one's own labels have no end yet.
        let candidates = suffixes.count
        var i = 0
        while i < wire.count {
            if compress, let target = find(wire, from: i, among: candidates) {
                write(UInt16(0xC000) | UInt16(target))
                return
            }
            if bytes.count < 0x4000 { suffixes.append(bytes.count) }
            let end = i + 1 + Int(wire[i])
            bytes.append(contentsOf: wire[i..<end])
            i = end
        }
        bytes.append(0)
    }

    /// The offset of a written label sequence equal (ignoring case) to `wire[start...]`.
    private func find(_ wire: [UInt8], from start: Int, among count: Int) -> Int? {
        for candidate in suffixes[..<count] where matches(wire, from: start, at: candidate) {
            return candidate
        }
        return nil
    }

    private func matches(_ wire: [UInt8], from start: Int, at offset: Int) -> Bool {
        var position = offset
        var i = start
        while true {
            let length = bytes[position]
            if length >= 0xC0 {
                // Only our own pointers are here, and they all point backward.
                position = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                continue
            }
            if length == 0 { return i == wire.count }
            guard i < wire.count, wire[i] == length else { return false }
            let count = Int(length)
            for k in 1...count where DNSName.fold(bytes[position + k]) != DNSName.fold(wire[i + k]) {
                return false
            }
            position += 1 + count
            i += 1 + count
        }
    }

    /// Forgets everything written from `offset` on.
    mutating func rollBack(to offset: Int) {
        bytes.removeSubrange(offset...)
        while let last = suffixes.last, last >= offset { suffixes.removeLast() }
    }
}
