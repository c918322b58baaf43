import SkiffModel

/// The query string as Go's `url.ParseQuery` reads it (`+` is a space, percent escapes decoded), plus Go-style
/// booleans (`strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, …) because the Python client sends `watch=True`.
struct QueryParameters: Sendable {
    private var pairs: [(String, String)]

    init(_ query: String?) {
        pairs = []
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(pieces[0])
            let value = pieces.count > 1 ? Self.decode(pieces[1]) : ""
            pairs.append((key, value))
        }
    }

    subscript(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }

    func all(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }

    func bool(_ key: String) throws(APIError) -> Bool {
        guard let text = self[key], !text.isEmpty else { return false }
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw APIError.badRequest("invalid boolean value \"\(text)\" for query parameter \(key)")
        }
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let text = self[key], !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw APIError.badRequest("invalid integer value \"\(text)\" for query parameter \(key)")
        }
        return value
    }

    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if let high = iterator.next(), let low = iterator.next(), let h = hex(high), let l = hex(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes.append(byte)
                }
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
