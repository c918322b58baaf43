/// Runs `total` operations split over `concurrency` sequential workers and measures throughput and latencies.
struct LoadRunner {
    struct Result {
        var operations: Int
        var seconds: Double
        var latencies: [Double]  // milliseconds, sorted
        var errors: Int

        var perSecond: Double { Double(operations) / seconds }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
        }
    }

    static func run(
        concurrency: Int, total: Int, _ operation: @escaping @Sendable (_ worker: Int, _ index: Int) async throws -> Void
    ) async -> Result {
        let perWorker = max(1, total / concurrency)
        let clock = ContinuousClock()
        let start = clock.now
        let samples = await withTaskGroup(of: ([Double], Int).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(perWorker)
                    var errors = 0
                    for index in 0..<perWorker {
                        let began = clock.now
                        do { try await operation(worker, index) } catch { errors += 1 }
                        latencies.append(Self.milliseconds(clock.now - began))
                    }
                    return (latencies, errors)
                }
            }
            var all: [Double] = []
            var errors = 0
            for await (latencies, failed) in group {
                all += latencies
                errors += failed
            }
            return (all.sorted(), errors)
        }
        let elapsed = Self.milliseconds(clock.now - start) / 1000
        return Result(operations: perWorker * concurrency, seconds: elapsed, latencies: samples.0, errors: samples.1)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
