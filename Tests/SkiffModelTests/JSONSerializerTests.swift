import SkiffModel
import Testing

@Suite("JSON serializer")
struct JSONSerializerTests {
    @Test func fixtureRoundTripsByteForByte() throws {
        let pod = try JSON(parsing: JSONFixtures.podBytes)
        #expect(pod.serialized() == JSONFixtures.podBytes)
    }

    @Test(
        "strings escape like Go",
        arguments: [
            ("plain", #""plain""#),
            ("", #""""#),
            ("quote\"back\\slash/", #""quote\"back\\slash/""#),
            ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1F}\u{7F}", #""\u0000\u0001\u001f\#u{7F}""#),
            ("<a href=\"x\">&</a>", #""\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e""#),
            ("line\u{2028}para\u{2029}end", #""line\u2028para\u2029end""#),
            ("é中😀\u{2027}\u{202A}", "\"é中😀\u{2027}\u{202A}\""),
            ("abcdefghijklmnopqrstuvwxyz\"", #""abcdefghijklmnopqrstuvwxyz\"""#),
        ])
    func stringEscapes(text: String, expected: String) {
        #expect(JSON.string(text).serializedString() == expected)
    }

    @Test func allControlCharacters() throws {
        let text = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f""#
        #expect(JSON.string(text).serializedString() == expected)
        // Every escape parses back to the original.
        #expect(try JSON(parsing: expected) == .string(text))
    }

    @Test func htmlEscapingCanBeTurnedOff() {
        let value: JSON = ["a<b": "x&y>z"]
        #expect(value.serializedString() == #"{"a\u003cb":"x\u0026y\u003ez"}"#)
        #expect(value.serializedString(.init(escapesHTML: false)) == #"{"a<b":"x&y>z"}"#)
    }

    @Test(
        "doubles format like Go",
        arguments: [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (3.14, "3.14"),
            (100.0, "100"),
            (0.000025, "0.000025"),
            (0.000001, "0.000001"),
            (0.000001234, "0.000001234"),
            (0.0000001, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (Double.leastNonzeroMagnitude, "5e-324"),
            (123456789.123, "123456789.123"),
            (1e16, "10000000000000000"),
            (0.0, "0"),
            (-0.0, "-0"),
            (Double.nan, "null"),
            (Double.infinity, "null"),
        ])
    func doubles(value: Double, expected: String) {
        #expect(JSON.double(value).serializedString() == expected)
    }

    @Test("integers", arguments: [Int64.min, -1, 0, 7, 10, 99, 1_234_567_890, Int64.max])
    func integers(value: Int64) {
        #expect(JSON.int(value).serializedString() == String(value))
    }

    @Test func bigNumbersAreWrittenVerbatimWhenValid() {
        #expect(JSON.bigNumber("123456789012345678901234567890").serializedString() == "123456789012345678901234567890")
        #expect(JSON.bigNumber("-1.5E+400").serializedString() == "-1.5E+400")
        #expect(JSON.bigNumber("12abc").serializedString() == "null")
        #expect(JSON.bigNumber("").serializedString() == "null")
        #expect(JSON.bigNumber("01").serializedString() == "null")
    }

    @Test func compactHasNoWhitespace() {
        let value: JSON = ["a": [1, 2, ["b": nil]], "c": [:], "d": []]
        #expect(value.serializedString() == #"{"a":[1,2,{"b":null}],"c":{},"d":[]}"#)
    }

    @Test func prettyPrintsLikeGoMarshalIndent() throws {
        let value: JSON = [
            "kind": "Pod", "spec": ["containers": [["name": "a", "ports": [80, 443]]], "volumes": []],
            "status": [:], "ready": true,
        ]
        let expected = """
            {
              "kind": "Pod",
              "spec": {
                "containers": [
                  {
                    "name": "a",
                    "ports": [
                      80,
                      443
                    ]
                  }
                ],
                "volumes": []
              },
              "status": {},
              "ready": true
            }
            """
        #expect(value.serializedString(.pretty) == expected)
        let four = value.serializedString(.init(indent: 4))
        #expect(four.hasPrefix("{\n    \"kind\": \"Pod\",\n    \"spec\": {\n        \"containers\": ["))
        #expect(try JSON(parsing: four) == value)
        #expect(JSON.int(3).serializedString(.pretty) == "3")
    }

    @Test func serializeAppendsToABuffer() {
        var buffer = Array("[".utf8)
        JSON.int(1).serialize(into: &buffer)
        buffer.append(UInt8(ascii: ","))
        JSON.string("x").serialize(into: &buffer)
        buffer.append(UInt8(ascii: "]"))
        #expect(String(decoding: buffer, as: UTF8.self) == #"[1,"x"]"#)
    }

    @Test func descriptionIsCompactJSON() {
        let value: JSON = ["a": 1.5, "b": "c"]
        #expect(value.description == #"{"a":1.5,"b":"c"}"#)
        #expect("\(JSON.null)" == "null")
    }
}
