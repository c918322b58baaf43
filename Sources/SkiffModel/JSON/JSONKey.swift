#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte-wise string comparison and hashing.
///
/// Swift's `String ==` treats canonically equivalent strings as equal ("é" precomposed equals "e" plus a
/// combining accent), but JSON keys and values are byte sequences: Go, and therefore Kubernetes, treats those two
/// keys as different fields. Everything in this module that compares keys or strings goes through here.
enum JSONKey {
    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        let count = a.utf8.count
        guard count == b.utf8.count else { return false }
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in
                guard let x = pa.baseAddress, let y = pb.baseAddress else { return count == 0 }
                return memcmp(x, y, count) == 0
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.elementsEqual(b.utf8)
    }

    @inline(__always)
    static func hash(_ s: String, into hasher: inout Hasher) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in s.utf8 { hasher.combine(byte) }
        }
        // Terminate the key so that ("ab", "c") and ("a", "bc") feed different byte streams.
        hasher.combine(0xFF as UInt8)
    }
}

/// A dictionary key with byte-wise equality, for the index of large objects.
struct JSONIndexKey: Hashable {
    let string: String

    @inline(__always)
    init(_ string: String) { self.string = string }

    static func == (lhs: JSONIndexKey, rhs: JSONIndexKey) -> Bool { JSONKey.equal(lhs.string, rhs.string) }

    func hash(into hasher: inout Hasher) { JSONKey.hash(string, into: &hasher) }
}
