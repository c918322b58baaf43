/// A bitmap of the offsets `0..<size` of a range (service IPs, node ports, pod subnets).
///
/// Dynamic allocation prefers the upper band `reservedLowBand..<size` and walks on from the last offset it handed
/// out, so a released offset is not reused at once; the lower band is left for explicitly requested values (upstream
/// reserves it the same way so that well-known addresses such as the DNS service's stay free) and used only when the
/// upper band is full.
public struct RangeAllocator: Sendable, Equatable {
    /// What claiming a given offset did.
    public enum Claim: Sendable, Equatable {
        case claimed
        case alreadyAllocated
        case outOfRange
    }

    public let size: Int
    public let reservedLowBand: Int
    private var words: [UInt64]
    private var cursor: Int
    public private(set) var count = 0

    public init(size: Int, reservedLowBand: Int = 0) {
        precondition(size >= 0 && reservedLowBand >= 0, "negative range")
        self.size = size
        self.reservedLowBand = min(reservedLowBand, size)
        self.words = Array(repeating: 0, count: (size + 63) / 64)
        self.cursor = self.reservedLowBand
    }

    /// The upstream size of the low band: size/16, at least 16 and at most `limit`.
    public static func lowBand(size: Int, limit: Int) -> Int { min(max(16, size / 16), limit) }

    public var isFull: Bool { count == size }

    public func isAllocated(_ offset: Int) -> Bool {
        guard offset >= 0, offset < size else { return false }
        return words[offset >> 6] & (1 << UInt64(offset & 63)) != 0
    }

    public mutating func claim(_ offset: Int) -> Claim {
        guard offset >= 0, offset < size else { return .outOfRange }
        if isAllocated(offset) { return .alreadyAllocated }
        words[offset >> 6] |= 1 << UInt64(offset & 63)
        count += 1
        return .claimed
    }

    /// Releasing a free or out-of-range offset does nothing.
    public mutating func release(_ offset: Int) {
        guard isAllocated(offset) else { return }
        words[offset >> 6] &= ~(1 << UInt64(offset & 63))
        count -= 1
    }

    /// Claims the next free offset (upper band from the cursor, wrapping, then the lower band); nil when full.
    public mutating func allocateNext() -> Int? {
        guard count < size else { return nil }
        let found =
            firstFree(in: cursor..<size) ?? firstFree(in: reservedLowBand..<min(cursor, size))
            ?? firstFree(in: 0..<reservedLowBand)
        guard let found else { return nil }
        _ = claim(found)
        if found >= reservedLowBand { cursor = found + 1 < size ? found + 1 : reservedLowBand }
        return found
    }

    private func firstFree(in range: Range<Int>) -> Int? {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let word = words[offset >> 6]
            if word == .max, offset & 63 == 0 {
                offset += 64  // a full word: skip it whole
                continue
            }
            if word & (1 << UInt64(offset & 63)) == 0 { return offset }
            offset += 1
        }
        return nil
    }
}
