import Foundation
import SkiffModel
import Testing

/// Micro benchmark of the JSON hot path against Foundation; run with `bench/json/run.sh` (release build).
@Suite("JSONBenchmark", .enabled(if: ProcessInfo.processInfo.environment["SKIFF_BENCH"] == "1"))
struct JSONBenchmark {
    @Test func pod() throws {
        try report(name: "Pod", bytes: JSONFixtures.podBytes)
    }

    @Test func podList() throws {
        let pod = try JSON(parsing: JSONFixtures.podBytes)
        var items: [JSON] = []
        for i in 0..<100 {
            var copy = pod
            copy["metadata"]["name"] = .string("web-\(i)")
            items.append(copy)
        }
        let list: JSON = ["kind": "PodList", "apiVersion": "v1", "metadata": ["resourceVersion": "48213"],
                          "items": .array(items)]
        try report(name: "PodList x100", bytes: list.serialized())
    }

    private func report(name: String, bytes: [UInt8]) throws {
        let data = Data(bytes)
        let kib = Double(bytes.count) / 1024
        let value = try JSON(parsing: bytes)
        let foundationValue = try JSONSerialization.jsonObject(with: data)

        let parse = try measure { try JSON(parsing: bytes).objectValue?.count ?? 0 }
        let serialize = measure { value.serialized().count }
        let pretty = measure { value.serialized(.pretty).count }
        let strict = try measure { try JSONParser(recordsDuplicateKeys: true).parse(bytes).duplicateKeys.count }
        let foundationParse = try measure { (try JSONSerialization.jsonObject(with: data) as? NSDictionary)?.count ?? 0 }
        let foundationSerialize = try measure { try JSONSerialization.data(withJSONObject: foundationValue).count }

        func row(_ label: String, _ micros: Double, against foundation: Double? = nil) -> String {
            let perOp = String(format: "%10.2f", micros)
            let perKiB = String(format: "%10.2f", micros / kib)
            let ratio = foundation.map { String(format: "   %6.1fx faster than Foundation", $0 / micros) } ?? ""
            return "\(label.padding(toLength: 24, withPad: " ", startingAt: 0))\(perOp) µs/op\(perKiB) µs/KiB\(ratio)"
        }
        let lines = [
            "JSON benchmark: \(name), \(bytes.count) bytes (\(String(format: "%.2f", kib)) KiB); best of 7 rounds",
            row("skiff parse", parse, against: foundationParse),
            row("skiff parse (strict)", strict, against: foundationParse),
            row("Foundation parse", foundationParse),
            row("skiff serialize", serialize, against: foundationSerialize),
            row("skiff serialize pretty", pretty),
            row("Foundation serialize", foundationSerialize),
        ]
        print(lines.joined(separator: "\n"))
    }

    /// Best per-operation time in microseconds over 7 rounds of at least 50 ms each.
    private func measure(_ body: () throws -> Int) rethrows -> Double {
        let clock = ContinuousClock()
        var sink = 0
        var iterations = 1
        while true {  // calibrate
            let elapsed = try clock.measure { for _ in 0..<iterations { sink &+= try body() } }
            if elapsed >= .milliseconds(50) { break }
            iterations *= 2
        }
        var best = Double.infinity
        for _ in 0..<7 {
            let elapsed = try clock.measure { for _ in 0..<iterations { sink &+= try body() } }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            best = min(best, seconds * 1e6 / Double(iterations))
        }
        #expect(sink != 42)  // keeps the work observable so the optimizer cannot drop it
        return best
    }
}
