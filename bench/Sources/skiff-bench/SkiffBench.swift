import ArgumentParser

/// Benchmarks for skiff; each subcommand prints its figures beside an anchor measured in the same run.
@main
struct SkiffBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-bench", abstract: "skiff benchmarks",
        subcommands: [
            StoreBenchmark.self, APIBenchmark.self, DatastoreBenchmark.self, SchedulerBenchmark.self,
            AuthorizationBenchmark.self,
            DNSServerBenchmark.self, ProxyBenchmark.self, ProxyApplyBenchmark.self,
        ])
}
