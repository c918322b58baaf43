import SkiffModel
import Testing

@Suite("Quantities")
struct QuantityTests {
    /// (input, printed form, milli value): printed as upstream's `Quantity.String()` prints them.
    static let canonical: [(String, String, Int64)] = [
        ("0", "0", 0),
        ("100m", "100m", 100),
        ("1.5", "1500m", 1500),
        ("2Gi", "2Gi", 2 * 1024 * 1024 * 1024 * 1000),
        ("1e3", "1e3", 1_000_000),
        ("500Mi", "500Mi", 500 * 1024 * 1024 * 1000),
        ("1k", "1k", 1_000_000),
        ("1000", "1k", 1_000_000),
        ("1024", "1024", 1_024_000),
        ("1024Mi", "1Gi", 1024 * 1024 * 1024 * 1000),
        ("1.5Gi", "1536Mi", 1536 * 1024 * 1024 * 1000),
        ("0.5Gi", "512Mi", 512 * 1024 * 1024 * 1000),
        ("8Ki", "8Ki", 8192 * 1000),
        ("10Ki", "10Ki", 10240 * 1000),
        ("0.1m", "100u", 1),
        ("1n", "1n", 1),
        ("0.1n", "1n", 1),
        ("1e-10", "1e-9", 1),
        ("12e6", "12e6", 12_000_000_000),
        ("1.5e3", "1500", 1_500_000),
        ("5e20", "500e18", Int64.max),
        ("-1.5", "-1500m", -1500),
        ("1E", "1E", Int64.max),
        ("1000P", "1E", Int64.max),
        ("0.5Ki", "512", 512_000),
        ("1.0Mi", "1Mi", 1024 * 1024 * 1000),
        ("0.000", "0", 0),
        ("250M", "250M", 250_000_000_000),
        ("3T", "3T", 3_000_000_000_000_000),
        ("16Ei", "9223372036854775807", Int64.max),
        ("100.000m", "100m", 100),
        ("-0", "0", 0),
    ]

    @Test(arguments: canonical)
    func parsesAndPrints(input: String, printed: String, milli: Int64) throws {
        let quantity = try Quantity(parsing: input)
        #expect(quantity.description == printed)
        #expect(quantity.milliValue == milli)
        // The printed form parses back to the same value.
        #expect(try Quantity(parsing: printed) == quantity)
    }

    static let values: [(String, Int64)] = [
        ("100m", 1), ("1.5", 2), ("-1.5", -2), ("2Gi", 2_147_483_648), ("1k", 1000), ("0", 0), ("1n", 1), ("999m", 1),
    ]

    @Test(arguments: values)
    func valueRoundsAwayFromZero(input: String, value: Int64) throws {
        #expect(try Quantity(parsing: input).value == value)
    }

    static let invalid: [(String, QuantityError.Code)] = [
        ("", .formatWrong), ("1.5.5", .formatWrong), ("abc", .formatWrong), ("1Q", .formatWrong),
        ("1KiB", .formatWrong), ("1 Gi", .formatWrong), ("1i", .suffix), ("1e", .suffix), ("1mm", .suffix),
        ("1e1.5", .formatWrong), ("1e400", .tooLarge),
    ]

    @Test(arguments: invalid)
    func rejects(input: String, code: QuantityError.Code) {
        #expect(throws: QuantityError(code)) { try Quantity(parsing: input) }
    }

    @Test func errorMessages() {
        #expect(
            QuantityError(.formatWrong).message
                == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        #expect(QuantityError(.suffix).message == "unable to parse quantity's suffix")
        #expect(QuantityError(.numeric).message == "unable to parse numeric part of quantity")
        #expect(QuantityError(.suffix).apiError.code == 400)
    }

    @Test func compares() throws {
        #expect(try Quantity(parsing: "1k") == Quantity(parsing: "1000"))
        #expect(try Quantity(parsing: "1Gi") > Quantity(parsing: "1G"))
        #expect(try Quantity(parsing: "100m") < Quantity(parsing: "1"))
        #expect(try Quantity(parsing: "-1") < Quantity.zero)
        #expect(
            try [Quantity(parsing: "2"), Quantity(parsing: "500m"), Quantity(parsing: "1Ki")].max()?.description
                == "1Ki")
        #expect(try Set([Quantity(parsing: "1k"), Quantity(parsing: "1000"), Quantity(parsing: "1e3")]).count == 1)
    }

    @Test func adds() throws {
        #expect(try (Quantity(parsing: "100m") + Quantity(parsing: "1.9")).description == "2")
        #expect(try (Quantity(parsing: "1Gi") + Quantity(parsing: "1Gi")).description == "2Gi")
        #expect(try (Quantity(parsing: "500Mi") + Quantity(parsing: "524Mi")).description == "1Gi")
        #expect(try (Quantity.zero + Quantity(parsing: "1Ki")).description == "1Ki")
        #expect(try (Quantity(parsing: "1") - Quantity(parsing: "250m")).description == "750m")
        var total = Quantity.zero
        for text in ["100m", "200m", "700m"] { total += try Quantity(parsing: text) }
        #expect(total.description == "1")
        #expect(total.value == 1)
        #expect((-total).description == "-1")
    }

    @Test func constructors() throws {
        #expect(Quantity(3).description == "3")
        #expect(Quantity(2048, format: .binarySI).description == "2Ki")
        #expect(Quantity(milli: 250).description == "250m")
        #expect(Quantity(milli: 3000).description == "3")
        #expect(Quantity(1_000_000, format: .decimalExponent).description == "1e6")
        #expect(try Quantity(json: 2).description == "2")
        #expect(try Quantity(json: 0.5).description == "500m")
        #expect(try Quantity(json: "64Mi").json == "64Mi")
        #expect(throws: QuantityError(.formatWrong)) { try Quantity(json: true) }
        #expect(try Quantity(parsing: "1.5").doubleValue == 1.5)
    }
}
