/// Runs `total` operations split over `concurrency` sequential workers and measures throughput and latencies.
struct LoadRunner {
    struct Result {
        var operations: Int
        var seconds: Double
        var latencies: [Double]  // milliseconds, sorted
        var errors: Int
        var firstError: String? = nil

        var perSecond: Double { Double(operations - errors) / seconds }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return latencies[min(latencies.count - 1, max(0, Int((Double(latencies.count) * p).rounded(.up)) - 1))]
        }
    }

    /// Closed loop: each worker starts its next operation when the previous one has answered.
    static func run(
        concurrency: Int, total: Int,
        _ operation: @escaping @Sendable (_ worker: Int, _ index: Int) async throws -> Void
    ) async -> Result {
        let perWorker = max(1, total / concurrency)
        let clock = ContinuousClock()
        let start = clock.now
        let samples = await withTaskGroup(of: ([Double], Int, String?).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(perWorker)
                    var errors = 0
                    var first: String?
                    for index in 0..<perWorker {
                        let began = clock.now
                        do {
                            try await operation(worker, index)
                            latencies.append(Self.milliseconds(clock.now - began))
                        } catch {
                            errors += 1
                            if first == nil { first = "\(error)" }
                        }
                    }
                    return (latencies, errors, first)
                }
            }
            var all: [Double] = []
            var errors = 0
            var first: String?
            for await (latencies, failed, message) in group {
                all += latencies
                errors += failed
                if first == nil { first = message }
            }
            return (all.sorted(), errors, first)
        }
        let elapsed = Self.milliseconds(clock.now - start) / 1000
        return Result(
            operations: perWorker * concurrency, seconds: elapsed, latencies: samples.0, errors: samples.1,
            firstError: samples.2)
    }

    /// Open loop: operation `i` starts at `i / rate` seconds whatever the latency of earlier ones, so a slow answer
    /// cannot hide the queueing behind it (no coordinated omission).
    static func paced(
        rate: Int, total: Int, _ operation: @escaping @Sendable (_ index: Int) async throws -> Void
    ) async -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.nanoseconds(1_000_000_000 / rate)
        let samples = await withTaskGroup(of: (Double?, String?).self) { group in
            for index in 0..<total {
                let due = start + interval * index
                try? await Task.sleep(until: due, clock: clock)
                group.addTask {
                    do {
                        try await operation(index)
                        // Latency counts from the scheduled start, so a late start (client stall) is charged too.
                        return (Self.milliseconds(clock.now - due), nil)
                    } catch {
                        return (nil, "\(error)")
                    }
                }
            }
            var all: [Double] = []
            var errors = 0
            var first: String?
            for await (latency, message) in group {
                if let latency { all.append(latency) } else { errors += 1 }
                if first == nil { first = message }
            }
            return (all.sorted(), errors, first)
        }
        let elapsed = Self.milliseconds(clock.now - start) / 1000
        return Result(
            operations: total, seconds: elapsed, latencies: samples.0, errors: samples.1, firstError: samples.2)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
