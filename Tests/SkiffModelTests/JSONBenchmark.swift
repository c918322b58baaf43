import Foundation
import SkiffModel
import Testing

/// Micro benchmark of the JSON hot path against Foundation; run with `bench/json/run.sh` (release build).
@Suite("JSONBenchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SKIFF_BENCH"] == "1"))
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
        let list: JSON = [
            "kind": "PodList", "apiVersion": "v1", "metadata": ["resourceVersion": "48213"],
            "items": .array(items),
        ]
        try report(name: "PodList x100", bytes: list.serialized())
    }

    /// Protobuf bodies with many repeated entries decode in linear time: the cost per entry at 100 000 entries is
    /// that at 10 000 (a per-element copy of the list or map would make it 10 times as much).
    @Test func protobufRepeatedEntries() throws {
        var perEntry: [Double] = []
        for count in [10_000, 100_000] {
            let body = ProtobufDecoderTests.repeatedEntries(count)
            let time = try measure {
                try KubernetesProtobuf.decode(body, schemas: BuiltinSchemas.registry)["data"].objectValue?.count ?? 0
            }
            perEntry.append(time.cpu * 1000 / Double(count))
            print(
                String(
                    format: "protobuf decode, %6d repeated entries: %9.0f µs/body %7.1f ns/entry", count, time.cpu,
                    perEntry.last!))
        }
        print(
            String(
                format: "protobuf decode: cost per entry at 100 000 / at 10 000 = %.2f (linear ≈ 1, quadratic ≈ 10)",
                perEntry[1] / perEntry[0]))
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
        let foundationParse = try measure {
            (try JSONSerialization.jsonObject(with: data) as? NSDictionary)?.count ?? 0
        }
        let foundationSerialize = try measure { try JSONSerialization.data(withJSONObject: foundationValue).count }

        func row(_ label: String, _ time: Timing, against foundation: Timing? = nil) -> String {
            let cpu = String(format: "%9.2f µs/op %8.2f µs/KiB", time.cpu, time.cpu / kib)
            let wall = String(format: "   wall %9.2f µs/op", time.wall)
            let ratio = foundation.map { String(format: "   %6.1fx Foundation", $0.cpu / time.cpu) } ?? ""
            return label.padding(toLength: 24, withPad: " ", startingAt: 0) + cpu + wall + ratio
        }
        let lines = [
            "JSON benchmark: \(name), \(bytes.count) bytes (\(String(format: "%.2f", kib)) KiB); "
                + "thread CPU time, best of 7 rounds (wall clock beside it)",
            row("skiff parse", parse, against: foundationParse),
            row("skiff parse (strict)", strict, against: foundationParse),
            row("Foundation parse", foundationParse),
            row("skiff serialize", serialize, against: foundationSerialize),
            row("skiff serialize pretty", pretty),
            row("Foundation serialize", foundationSerialize),
        ]
        print(lines.joined(separator: "\n"))
    }

    struct Timing {
        /// Microseconds of this thread's CPU time per operation: robust on a shared, busy machine.
        var cpu: Double
        /// Microseconds of wall-clock time per operation.
        var wall: Double
    }

    /// Best per-operation times over 7 rounds of at least 50 ms each.
    private func measure(_ body: () throws -> Int) rethrows -> Timing {
        var sink = 0
        var iterations = 1
        while true {  // calibrate
            let start = Self.now()
            for _ in 0..<iterations { sink &+= try body() }
            if Self.now().wall - start.wall >= 0.05 { break }
            iterations *= 2
        }
        var best = Timing(cpu: .infinity, wall: .infinity)
        for _ in 0..<7 {
            let start = Self.now()
            for _ in 0..<iterations { sink &+= try body() }
            let end = Self.now()
            best.cpu = min(best.cpu, (end.cpu - start.cpu) * 1e6 / Double(iterations))
            best.wall = min(best.wall, (end.wall - start.wall) * 1e6 / Double(iterations))
        }
        #expect(sink != 42)  // keeps the work observable so the optimizer cannot drop it
        return best
    }

    /// Seconds of thread CPU time and of monotonic wall time. The measured loops never suspend, so the thread stays.
    private static func now() -> Timing {
        var cpu = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        clock_gettime(CLOCK_MONOTONIC, &wall)
        return Timing(
            cpu: Double(cpu.tv_sec) + Double(cpu.tv_nsec) * 1e-9,
            wall: Double(wall.tv_sec) + Double(wall.tv_nsec) * 1e-9
        )
    }
}
