import SkiffModel
import Testing

@Suite("JSON fuzz")
struct JSONFuzzTests {
    /// Whatever the bytes, parsing returns or throws; anything it accepts serializes to text that parses back equal.
    @Test func mutatedFixtureNeverTraps() throws {
        var generator = JSONTestRandom(seed: 0x5EED)
        let interesting: [UInt8] =
            Array(#"{}[]":,\-+.eE0123456789tfnu"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE2, 0xED, 0xF4, 0xFF]
        var accepted = 0
        var parsedAfterMutation = 0
        for _ in 0..<10_000 {
            var bytes = JSONFixtures.podBytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let replacement =
                    Bool.random(using: &generator)
                    ? interesting[Int.random(in: 0..<interesting.count, using: &generator)]
                    : UInt8.random(in: 0...255, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: bytes[position] = replacement
                case 1: bytes.insert(replacement, at: position)
                case 2: bytes.remove(at: position)
                case 3: bytes.removeSubrange(position...)
                default: bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                }
                if bytes.isEmpty { break }
            }
            if let value = try? JSON(parsing: bytes) {
                parsedAfterMutation += 1
                let again = try JSON(parsing: value.serialized())
                #expect(again == value)
                #expect(try JSON(parsing: value.serialized(.pretty)) == value)
                accepted += 1
            }
        }
        // Some mutations keep the document valid (inside strings, digits); most do not.
        #expect(accepted > 100)
        #expect(parsedAfterMutation < 10_000)
    }

    @Test func randomBytesNeverTrap() {
        var generator = JSONTestRandom(seed: 99)
        let alphabet: [UInt8] = Array(#"{}[]":, \tnulltruefalse-0.1e+9"\u00"#.utf8) + [0xC3, 0xA9, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            _ = try? JSON(parsing: bytes)
            _ = try? JSONParser(maxDepth: 4, recordsDuplicateKeys: true).parse(bytes)
        }
    }

    /// Random values survive serialize → parse, compact and pretty.
    @Test func randomValuesRoundTrip() throws {
        var generator = JSONTestRandom(seed: 2024)
        for _ in 0..<2_000 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let compact = value.serialized()
            #expect(try JSON(parsing: compact) == value)
            #expect(try JSON(parsing: compact).serialized() == compact)
            #expect(try JSON(parsing: value.serialized(.init(indent: 4, escapesHTML: false))) == value)
        }
    }

    static func randomValue(depth: Int, using generator: inout JSONTestRandom) -> JSON {
        let kind = Int.random(in: 0..<(depth > 4 ? 6 : 8), using: &generator)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64(bitPattern: generator.next()) >> Int64.random(in: 0...63, using: &generator))
        case 3:
            let value = Double(bitPattern: generator.next())
            // Integral doubles below 1e21 print without a fraction (as in Go) and read back as integers.
            let integral = value.rounded(.towardZero) == value && value.magnitude < 1e21
            return value.isFinite && !integral ? .double(value) : .double(0.5)
        case 4, 5: return .string(randomString(using: &generator))
        case 6:
            return .array(
                (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, using: &generator)
                })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...20, using: &generator) {
                object[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(object)
        }
    }

    static func randomString(using generator: inout JSONTestRandom) -> String {
        let pieces: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{1}", "\u{1F}", "<", ">", "&", "é",
            "中", "😀", "\u{2028}", "\u{2029}", "\u{7F}", "e\u{301}", "name", "metadata",
        ]
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            text += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
        }
        return text
    }
}
