import Foundation
import SkiffModel
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "parses scalars",
        arguments: [
            ("null", JSON.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .int(0)),
            ("5", .int(5)),
            ("-17", .int(-17)),
            ("1.5", .double(1.5)),
            ("-0.25", .double(-0.25)),
            ("1e3", .double(1000)),
            ("1E+3", .double(1000)),
            ("25e-2", .double(0.25)),
            (#""""#, .string("")),
            (#""pod""#, .string("pod")),
            (" \t\r\n 42 \n", .int(42)),
        ] as [(String, JSON)])
    func scalars(text: String, expected: JSON) throws {
        #expect(try JSON(parsing: text) == expected)
    }

    @Test func parsesFixtureWithStructure() throws {
        let pod = try JSON(parsing: JSONFixtures.podBytes)
        #expect(pod["kind"] == "Pod")
        #expect(pod["metadata"]["name"].stringValue == "web-7d4b9c6f5-x2k8p")
        #expect(pod["metadata"]["labels"]["app"] == "web")
        #expect(pod["spec"]["containers"][0]["ports"][0]["containerPort"].intValue == 80)
        #expect(pod["spec"]["terminationGracePeriodSeconds"] == .int(30))
        #expect(pod["spec"]["enableServiceLinks"].boolValue == true)
        #expect(pod["status"]["conditions"][0]["lastProbeTime"].isNull)
        #expect(pod["status"]["conditions"][0].contains(key: "lastProbeTime"))
        #expect(pod.objectValue?.keys == ["kind", "apiVersion", "metadata", "spec", "status"])
        #expect(pod["spec"]["securityContext"] == .emptyObject)
    }

    @Test func keepsKeyOrder() throws {
        let text = #"{"z":1,"a":2,"m":{"y":true,"b":false},"k":[3,2,1]}"#
        let value = try JSON(parsing: text)
        #expect(value.objectValue?.keys == ["z", "a", "m", "k"])
        #expect(value["m"].objectValue?.keys == ["y", "b"])
        #expect(value.serializedString() == text)
    }

    @Test("input kinds agree") func inputKinds() throws {
        let text = #"{"a":[1,2.5,"x"]}"#
        let expected = try JSON(parsing: text)
        #expect(try JSON(parsing: Array(text.utf8)) == expected)
        #expect(try JSON(parsing: Data(text.utf8)) == expected)
        let padded = Array("xx\(text)yy".utf8)
        #expect(try JSON(parsing: padded[2..<(padded.count - 2)]) == expected)
        let fromRaw = try Array(text.utf8).withUnsafeBytes { raw throws(JSONParseError) in try JSON(parsing: raw) }
        #expect(fromRaw == expected)
    }

    // MARK: - Numbers

    @Test(
        "integers stay exact",
        arguments: [
            ("9223372036854775807", JSON.int(Int64.max)),
            ("-9223372036854775808", .int(Int64.min)),
            ("9223372036854775808", .bigNumber("9223372036854775808")),
            ("-9223372036854775809", .bigNumber("-9223372036854775809")),
            ("18446744073709551616", .bigNumber("18446744073709551616")),
            ("123456789012345678901234567890", .bigNumber("123456789012345678901234567890")),
            ("-0", .double(-0.0)),
            ("-0.0", .double(-0.0)),
            ("0.0", .double(0)),
            ("1e300", .double(1e300)),
            ("1E400", .bigNumber("1E400")),
            ("-1e400", .bigNumber("-1e400")),
            ("1e-400", .double(0)),
            ("4.9e-324", .double(.leastNonzeroMagnitude)),
            ("1.7976931348623157e308", .double(1.7976931348623157e308)),
        ] as [(String, JSON)])
    func integerExactness(text: String, expected: JSON) throws {
        let value = try JSON(parsing: text)
        #expect(value == expected)
        if case .double(let parsed) = value, case .double(let wanted) = expected {
            #expect(parsed.sign == wanted.sign)
        }
    }

    @Test(
        "numbers serialize back",
        arguments: [
            ("5", "5"),
            ("-5", "-5"),
            ("9223372036854775807", "9223372036854775807"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("9223372036854775808", "9223372036854775808"),
            ("-0", "-0"),
            ("1.0", "1"),
            ("1.50", "1.5"),
            ("1e300", "1e+300"),
            ("1E400", "1E400"),
            ("0.1", "0.1"),
            ("100e-2", "1"),
            ("1e20", "100000000000000000000"),
            ("1e21", "1e+21"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1e-7"),
        ])
    func numberRoundTrip(text: String, expected: String) throws {
        #expect(try JSON(parsing: text).serializedString() == expected)
    }

    @Test func doublesMatchFoundationRounding() throws {
        // Decimal literals of every shape must round to the same Double as a correct strtod.
        var generator = JSONTestRandom(seed: 42)
        for _ in 0..<5000 {
            let digits = Int.random(in: 1...25, using: &generator)
            var text = Int.random(in: 0...1, using: &generator) == 0 ? "" : "-"
            text += String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &generator)) }
            let point = Int.random(in: 1...digits, using: &generator)
            if point < digits {
                text.insert(".", at: text.index(text.endIndex, offsetBy: -(digits - point)))
            }
            if Int.random(in: 0...2, using: &generator) == 0 {
                text += "e\(Int.random(in: -330...310, using: &generator))"
            }
            let value = try JSON(parsing: text)
            guard text.contains(".") || text.contains("e") else { continue }
            if let expected = Double(text), expected.isFinite {
                #expect(value == .double(expected), "\(text)")
            } else {
                #expect(value == .bigNumber(text), "\(text)")
            }
        }
    }

    @Test func randomDoublesRoundTrip() throws {
        var generator = JSONTestRandom(seed: 7)
        for _ in 0..<5000 {
            let bits = generator.next()
            let value = Double(bitPattern: bits)
            guard value.isFinite else { continue }
            let text = JSON.double(value).serializedString()
            let parsed = try JSON(parsing: text)
            #expect(parsed.doubleValue == value, "\(text)")
            if value.rounded(.towardZero) == value && value.magnitude < 1e21 && value != 0 {
                // Like Go, an integral double prints without a fraction, so it reads back as an integer.
                #expect(parsed.int64Value != nil || parsed == .bigNumber(text), "\(text)")
            } else {
                #expect(parsed == .double(value), "\(text)")
            }
        }
    }

    // MARK: - Strings

    @Test(
        "escapes decode",
        arguments: [
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u4e2D""#, "Aé中"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\uD83D\uDE00x""#, "😀x"),
            (#""\ud800""#, "\u{FFFD}"),
            (#""\udc00""#, "\u{FFFD}"),
            (#""\ud800\u0041""#, "\u{FFFD}A"),
            (#""\ud800\ud800\udc00""#, "\u{FFFD}\u{10000}"),
            (#""\ud800x""#, "\u{FFFD}x"),
            (#""\u0000""#, "\u{0}"),
            (#""a\nb""#, "a\nb"),
            ("\"é中😀\"", "é中😀"),
            ("\"e\u{301}\"", "e\u{301}"),
            ("\"\u{7F}\"", "\u{7F}"),
            (
                "\"abcdefghijklmnopqrstuvwxyz0123456789 with a long \\\"escaped\\\" tail\"",
                "abcdefghijklmnopqrstuvwxyz0123456789 with a long \"escaped\" tail"
            ),
        ])
    func escapes(text: String, expected: String) throws {
        let value = try JSON(parsing: text)
        #expect(value.stringValue.map { Array($0.utf8) } == Array(expected.utf8))
    }

    @Test func normalizationIsNotApplied() throws {
        // Precomposed and decomposed "é" are different keys in Go, and so here.
        let value = try JSON(parsing: "{\"\u{E9}\":1,\"e\u{301}\":2}")
        #expect(value.objectValue?.count == 2)
        #expect(value["\u{E9}"] == 1)
        #expect(value["e\u{301}"] == 2)
        #expect(JSON.string("\u{E9}") != JSON.string("e\u{301}"))
    }

    // MARK: - Rejections

    struct Rejection: CustomTestStringConvertible, Sendable {
        var input: [UInt8]
        var code: JSONParseError.Code
        var message: String
        var offset: Int

        init(_ text: String, _ code: JSONParseError.Code, _ message: String, _ offset: Int) {
            self.init(Array(text.utf8), code, message, offset)
        }

        init(_ bytes: [UInt8], _ code: JSONParseError.Code, _ message: String, _ offset: Int) {
            input = bytes
            self.code = code
            self.message = message
            self.offset = offset
        }

        var testDescription: String { String(decoding: input, as: UTF8.self) }
    }

    static let eof = "unexpected end of JSON input"

    static let rejections: [Rejection] = [
        // Empty and truncated input.
        Rejection("", .unexpectedEndOfInput, eof, 0),
        Rejection("   ", .unexpectedEndOfInput, eof, 3),
        Rejection("[", .unexpectedEndOfInput, eof, 1),
        Rejection("[1,2", .unexpectedEndOfInput, eof, 4),
        Rejection("{", .unexpectedEndOfInput, eof, 1),
        Rejection(#"{"a""#, .unexpectedEndOfInput, eof, 4),
        Rejection(#"{"a":"#, .unexpectedEndOfInput, eof, 5),
        Rejection(#"{"a":1"#, .unexpectedEndOfInput, eof, 6),
        Rejection(#""abc"#, .unexpectedEndOfInput, eof, 4),
        Rejection(#""abc\"#, .unexpectedEndOfInput, eof, 5),
        Rejection(#""\u12"#, .unexpectedEndOfInput, eof, 5),
        Rejection("tru", .unexpectedEndOfInput, eof, 3),
        Rejection("-", .unexpectedEndOfInput, eof, 1),
        Rejection("1.", .unexpectedEndOfInput, eof, 2),
        Rejection("1e", .unexpectedEndOfInput, eof, 2),
        Rejection("1e+", .unexpectedEndOfInput, eof, 3),
        // Values that cannot start here.
        Rejection("x", .invalidCharacter, "invalid character 'x' looking for beginning of value", 0),
        Rejection(".5", .invalidCharacter, "invalid character '.' looking for beginning of value", 0),
        Rejection("+1", .invalidCharacter, "invalid character '+' looking for beginning of value", 0),
        Rejection("NaN", .invalidCharacter, "invalid character 'N' looking for beginning of value", 0),
        Rejection("'a'", .invalidCharacter, #"invalid character '\'' looking for beginning of value"#, 0),
        Rejection("\u{0}", .invalidCharacter, #"invalid character '\x00' looking for beginning of value"#, 0),
        Rejection(
            [0xEF, 0xBB, 0xBF, 0x31], .invalidCharacter, "invalid character 'ï' looking for beginning of value", 0),
        Rejection([0x80], .invalidCharacter, #"invalid character '\u0080' looking for beginning of value"#, 0),
        // Trailing commas, comments, missing separators.
        Rejection("[1,]", .invalidCharacter, "invalid character ']' looking for beginning of value", 3),
        Rejection("[,1]", .invalidCharacter, "invalid character ',' looking for beginning of value", 1),
        Rejection(
            #"{"a":1,}"#, .invalidCharacter,
            "invalid character '}' looking for beginning of object key string", 7),
        Rejection("{,}", .invalidCharacter, "invalid character ',' looking for beginning of object key string", 1),
        Rejection("{a:1}", .invalidCharacter, "invalid character 'a' looking for beginning of object key string", 1),
        Rejection(#"{"a":}"#, .invalidCharacter, "invalid character '}' looking for beginning of value", 5),
        Rejection(#"{"a" 1}"#, .invalidCharacter, "invalid character '1' after object key", 5),
        Rejection(#"{"a"=1}"#, .invalidCharacter, "invalid character '=' after object key", 4),
        Rejection(
            #"{"a":1 "b":2}"#, .invalidCharacter,
            #"invalid character '"' after object key:value pair"#, 7),
        Rejection(#"{"a":1]"#, .invalidCharacter, "invalid character ']' after object key:value pair", 6),
        Rejection("[1 2]", .invalidCharacter, "invalid character '2' after array element", 3),
        Rejection("[1}", .invalidCharacter, "invalid character '}' after array element", 2),
        Rejection("/* c */ 1", .invalidCharacter, "invalid character '/' looking for beginning of value", 0),
        Rejection("[1] // c", .invalidCharacter, "invalid character '/' after top-level value", 4),
        // Trailing garbage.
        Rejection("1 2", .invalidCharacter, "invalid character '2' after top-level value", 2),
        Rejection("{}x", .invalidCharacter, "invalid character 'x' after top-level value", 2),
        Rejection("null,", .invalidCharacter, "invalid character ',' after top-level value", 4),
        // Numbers.
        Rejection("01", .invalidCharacter, "invalid character '1' after top-level value", 1),
        Rejection("-01", .invalidCharacter, "invalid character '1' after top-level value", 2),
        Rejection("[00]", .invalidCharacter, "invalid character '0' after array element", 2),
        Rejection("-x", .invalidCharacter, "invalid character 'x' in numeric literal", 1),
        Rejection("-.5", .invalidCharacter, "invalid character '.' in numeric literal", 1),
        Rejection("1.x", .invalidCharacter, "invalid character 'x' after decimal point in numeric literal", 2),
        Rejection("1.e5", .invalidCharacter, "invalid character 'e' after decimal point in numeric literal", 2),
        Rejection("1ex", .invalidCharacter, "invalid character 'x' in exponent of numeric literal", 2),
        Rejection("1e+x", .invalidCharacter, "invalid character 'x' in exponent of numeric literal", 3),
        Rejection("0x10", .invalidCharacter, "invalid character 'x' after top-level value", 1),
        Rejection("1.5.2", .invalidCharacter, "invalid character '.' after top-level value", 3),
        // Literals.
        Rejection("trux", .invalidCharacter, "invalid character 'x' in literal true (expecting 'e')", 3),
        Rejection("nulL", .invalidCharacter, "invalid character 'L' in literal null (expecting 'l')", 3),
        Rejection("fals3", .invalidCharacter, "invalid character '3' in literal false (expecting 'e')", 4),
        Rejection("True", .invalidCharacter, "invalid character 'T' looking for beginning of value", 0),
        // Strings.
        Rejection("\"a\nb\"", .invalidCharacter, #"invalid character '\n' in string literal"#, 2),
        Rejection("\"a\tb\"", .invalidCharacter, #"invalid character '\t' in string literal"#, 2),
        Rejection("\"\u{1}\"", .invalidCharacter, #"invalid character '\x01' in string literal"#, 1),
        Rejection("\"abcdefghij\u{1F}\"", .invalidCharacter, #"invalid character '\x1f' in string literal"#, 11),
        Rejection(#""\x""#, .invalidCharacter, "invalid character 'x' in string escape code", 2),
        Rejection(#""\'""#, .invalidCharacter, #"invalid character '\'' in string escape code"#, 2),
        Rejection(#""\U0041""#, .invalidCharacter, "invalid character 'U' in string escape code", 2),
        Rejection(#""\u12G4""#, .invalidCharacter, #"invalid character 'G' in \u hexadecimal character escape"#, 5),
        Rejection(#""\u12""#, .invalidCharacter, #"invalid character '"' in \u hexadecimal character escape"#, 5),
        Rejection(
            #""\ud800\u12""#, .invalidCharacter,
            #"invalid character '"' in \u hexadecimal character escape"#, 11),
        Rejection(#"{"k\q":1}"#, .invalidCharacter, "invalid character 'q' in string escape code", 4),
        // Malformed UTF-8 inside strings.
        Rejection([0x22, 0xFF, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0x61, 0x80, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 2),
        Rejection([0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xC3, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xE0, 0x80, 0xAF, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xE2, 0x82, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 1),
        Rejection([0x22, 0x5C, 0x6E, 0xFE, 0x22], .invalidUTF8, "invalid UTF-8 in string literal", 3),
        Rejection([0x22, 0xE4, 0xB8], .unexpectedEndOfInput, eof, 3),
    ]

    @Test("rejects invalid input", arguments: rejections)
    func rejects(_ case: Rejection) {
        #expect {
            _ = try JSON(parsing: `case`.input)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            #expect(error.code == `case`.code)
            #expect(error.message == `case`.message)
            #expect(error.offset == `case`.offset)
            #expect(error.description == `case`.message)
            return true
        }
    }

    // MARK: - Depth

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSON(parsing: ok) }

        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let error = try #require(throws: JSONParseError.self) { try JSON(parsing: deep) }
        #expect(error.code == .exceededMaxDepth)
        #expect(error.message == "invalid character '[' exceeded max depth")
        #expect(error.offset == 512)

        // Empty containers count as a level too.
        let emptyAtLimit = String(repeating: "[", count: 512) + "{}" + String(repeating: "]", count: 512)
        #expect(throws: JSONParseError.self) { try JSON(parsing: emptyAtLimit) }

        let objects = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
        let objectError = try #require(throws: JSONParseError.self) { try JSON(parsing: objects) }
        #expect(objectError.message == "invalid character '{' exceeded max depth")
        #expect(objectError.offset == 512 * 5)

        let custom = JSONParser(maxDepth: 3)
        #expect(throws: Never.self) { try custom.parse("[[[1]]]") }
        #expect(throws: JSONParseError.self) { try custom.parse("[[[[1]]]]") }
    }

    @Test func hugeNestingNeverOverflowsTheStack() {
        let open = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONParseError.self) { try JSON(parsing: open) }
        let unclosed = [UInt8](repeating: UInt8(ascii: "["), count: 400)
        #expect(throws: JSONParseError.self) { try JSON(parsing: unclosed) }
    }

    // MARK: - Duplicate keys

    @Test func duplicateKeysLastValueWins() throws {
        let value = try JSON(parsing: #"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)
        #expect(value.serializedString() == #"{"a":3,"b":2}"#)
        #expect(try JSONParser().parse(#"{"a":1,"a":2}"#).duplicateKeys.isEmpty)
    }

    @Test func duplicateKeysAreRecordedWithPaths() throws {
        let strict = JSONParser(recordsDuplicateKeys: true)
        let text = #"""
            {"kind":"Pod","spec":{"replicas":1,"replicas":2,
             "containers":[{"name":"a"},{"name":"b","image":"x","name":"c"}]},
             "kind":"Pod","me\u0074a":{},"meta":{}}
            """#
        let result = try strict.parse(text)
        // Recorded as each object closes: inner objects first.
        #expect(result.duplicateKeys.map(\.fieldPath) == ["spec.containers[1].name", "spec.replicas", "kind", "meta"])
        #expect(result.duplicateKeys[1].message == #"duplicate field "spec.replicas""#)
        #expect(result.duplicateKeys[0].path == [.key("spec"), .key("containers"), .index(1), .key("name")])
        #expect(result.value["spec"]["containers"][1]["name"] == "c")
        #expect(result.value["spec"]["containers"][1].objectValue?.keys == ["name", "image"])
        #expect(result.value["spec"]["replicas"] == 2)
    }

    @Test func duplicateKeysInLargeObjects() throws {
        var text = "{"
        for i in 0..<40 { text += "\"key\(i)\":\(i)," }
        text += #""key7":"again","key39":null}"#
        let result = try JSONParser(recordsDuplicateKeys: true).parse(text)
        #expect(result.duplicateKeys.map(\.fieldPath) == ["key7", "key39"])
        let object = try #require(result.value.objectValue)
        #expect(object.count == 40)
        #expect(object.keys == (0..<40).map { "key\($0)" })
        #expect(object["key7"] == "again")
        #expect(object["key39"] == .null)
        #expect(object["key12"] == 12)
    }

    @Test func duplicateRecordsAreCapped() throws {
        var text = "["
        for i in 0..<150 { text += #"{"a\#(i)":1,"a\#(i)":2},"# }
        text += "{}]"
        let result = try JSONParser(recordsDuplicateKeys: true).parse(text)
        #expect(result.duplicateKeys.count == 100)
    }
}
