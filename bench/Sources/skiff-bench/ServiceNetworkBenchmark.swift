import ArgumentParser
import Foundation
import Logging
import SkiffAgent
import SkiffModel
import SkiffTesting
import Synchronization

/// Services for the service-network benchmarks: `count` ClusterIP Services `svc-<i>` in `default` on 10.43.x.y, each
/// with `endpoints` ready endpoints on 10.42.x.y (addresses nothing routes: the proxy bench only programs them).
enum SyntheticServices {
    static func clusterIP(_ index: Int) -> String {
        let third: Int = 10 + index / 250
        let fourth: Int = 1 + index % 250
        return "10.43.\(third).\(fourth)"
    }

    static func endpoint(_ index: Int, _ endpoint: Int, generation: Int = 0) -> String {
        let serial: Int = index * 16 + endpoint + generation
        let third: Int = 10 + (serial / 250) % 200
        let fourth: Int = 1 + serial % 250
        return "10.42.\(third).\(fourth)"
    }

    static func service(_ index: Int) -> JSON {
        let address: String = clusterIP(index)
        var service = JSON.emptyObject
        service["metadata"] = ["name": .string("svc-\(index)"), "namespace": "default"]
        service["spec"] = [
            "clusterIP": .string(address), "clusterIPs": [.string(address)],
            "ports": [["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"]],
        ]
        return service
    }

    /// The Service's slice; `generation` moves its first endpoint to another address.
    static func slice(_ index: Int, endpoints: Int, generation: Int = 0) -> JSON {
        var entries: [JSON] = []
        for number in 0..<endpoints {
            let address: String = endpoint(index, number, generation: number == 0 ? generation : 0)
            var entry = JSON.emptyObject
            entry["addresses"] = [.string(address)]
            entry["conditions"] = ["ready": true]
            entries.append(entry)
        }
        var slice = JSON.emptyObject
        slice["metadata"] = [
            "name": .string("svc-\(index)-x"), "namespace": "default",
            "labels": ["kubernetes.io/service-name": .string("svc-\(index)")],
        ]
        slice["addressType"] = "IPv4"
        slice["ports"] = [["name": "http", "port": 8080, "protocol": "TCP"]]
        slice["endpoints"] = .array(entries)
        return slice
    }

    static func api(services count: Int, endpoints: Int) -> FakeClusterAPI {
        let api = FakeClusterAPI()
        for index in 0..<count {
            api.put("services", service(index))
            api.put("endpointslices", slice(index, endpoints: endpoints))
        }
        return api
    }
}

/// `skiff-bench dns-server`: the agent's cluster DNS server on an address of your choice, over `count` synthetic
/// Services, until interrupted (bench/dns/run.sh points dnsperf at it and at dnsmasq).
struct DNSServerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-server", abstract: "Serve cluster DNS for synthetic Services (for bench/dns)")

    @Option(help: "Address to answer on.") var address = "127.0.0.81"
    @Option(help: "Port to answer on.") var port = 53
    @Option(help: "Services svc-0… in default.") var services = 1000
    @Option(help: "Write `address name` lines of every Service here (for dnsmasq's hosts file).") var hosts: String?

    func run() async throws {
        var logger = Logger(label: "dns-bench")
        logger.logLevel = .warning
        let api = SyntheticServices.api(services: services, endpoints: 2)
        if let hosts {
            var text = ""
            for index in 0..<services {
                text += "\(SyntheticServices.clusterIP(index)) svc-\(index).default.svc.cluster.local\n"
            }
            try text.write(toFile: hosts, atomically: true, encoding: .utf8)
        }
        let watch = ServiceWatch(api: api, logger: logger)
        let server = ClusterDNSServer(
            watch: watch, host: IPCommandHostNetwork(logger: logger),
            configuration: .init(address: address, port: port, upstreams: [], assignAddress: false), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watch.run() }
            group.addTask { try await server.run() }
            await server.listening.wait()
            print("listening on \(address):\(port)")
            try await group.next()
        }
    }
}

/// `skiff-bench proxy`: programming latency of the service proxy with real nftables (run it in a network namespace
/// of its own: bench/proxy/run.sh does). `services` Services with `endpoints` endpoints each are programmed; then, one
/// at a time, an endpoint of a random Service changes and the time until `nft` has committed the transaction that
/// holds it is measured. Anchor, same run: `nft -f` of a one-line transaction (the floor any change pays).
struct ProxyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Service proxy programming latency on nftables (root, own netns)")

    @Option(help: "Services.") var services = 1000
    @Option(help: "Endpoints per Service.") var endpoints = 10
    @Option(help: "Endpoint changes measured.") var changes = 200

    /// NFTCommand that reports every committed script.
    final class ObservedNFT: NFTables {
        let inner: NFTCommand
        let committed: @Sendable (String) -> Void

        init(inner: NFTCommand, committed: @escaping @Sendable (String) -> Void) {
            self.inner = inner
            self.committed = committed
        }

        func apply(_ script: String) async throws(HostNetworkError) {
            try await inner.apply(script)
            committed(script)
        }
    }

    /// Who waits for which text to be committed.
    typealias Waiter = (marker: String, continuation: CheckedContinuation<Void, Never>)

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f ms", seconds(duration) * 1000) }

    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    func run() async throws {
        var logger = Logger(label: "proxy-bench")
        logger.logLevel = .warning
        let api = SyntheticServices.api(services: services, endpoints: endpoints)
        let waiting = Mutex<Waiter?>(nil)
        let sizes = Mutex<[Int]>([])
        let nft = ObservedNFT(inner: NFTCommand(logger: logger)) { script in
            sizes.withLock { $0.append(script.utf8.count) }
            let done = waiting.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let current = state, script.contains(current.marker) else { return nil }
                state = nil
                return current.continuation
            }
            done?.resume()
        }
        let watch = ServiceWatch(api: api, logger: logger)
        let proxy = ServiceProxy(
            watch: watch, nft: nft,
            configuration: .init(
                nodeName: "bench", clusterCIDR: IPv4Network("10.42.0.0/16")!,
                serviceCIDR: IPv4Network("10.43.0.0/16"), clusterDNS: "10.43.0.10"),
            logger: logger)
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let start = clock.now
            let last: String = "dnat to \(SyntheticServices.endpoint(services - 1, endpoints - 1)):8080"
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiting.withLock { $0 = (last, continuation) }
                group.addTask { await watch.run() }
                group.addTask { try await proxy.run() }
            }
            let initial = clock.now - start
            let fullBytes: Int = sizes.withLock { $0.last ?? 0 }
            var latencies: [Duration] = []
            for change in 1...changes {
                let index = Int.random(in: 0..<services)
                let generation: Int = change * 7919
                let slice = SyntheticServices.slice(index, endpoints: endpoints, generation: generation)
                let marker: String = "dnat to \(SyntheticServices.endpoint(index, 0, generation: generation)):8080"
                let began = clock.now
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    waiting.withLock { $0 = (marker, continuation) }
                    api.put("endpointslices", slice)
                }
                latencies.append(clock.now - began)
            }
            // Anchor: a one-line transaction through the same command.
            var floor: [Duration] = []
            let command = NFTCommand(logger: logger)
            for _ in 0..<50 {
                let began = clock.now
                try await command.apply("add table ip skiff-bench-floor\n")
                floor.append(clock.now - began)
            }
            try await command.apply("delete table ip skiff-bench-floor\n")
            group.cancelAll()
            latencies.sort()
            floor.sort()
            let updates: [Int] = sizes.withLock { Array($0.dropFirst()) }.sorted()
            let p50 = Self.percentile(latencies, 0.5)
            let p99 = Self.percentile(latencies, 0.99)
            let floor50 = Self.percentile(floor, 0.5)
            print("services: \(services) × \(endpoints) endpoints")
            print(
                "initial programming (list → whole table committed): \(Self.milliseconds(initial)), \(fullBytes / 1024) KiB script"
            )
            print(
                "endpoint change → rule committed, \(changes) changes: p50 \(Self.milliseconds(p50)), p99 "
                    + "\(Self.milliseconds(p99)), max \(Self.milliseconds(latencies[latencies.count - 1]))")
            print("incremental scripts: median \(updates.isEmpty ? 0 : updates[updates.count / 2]) bytes")
            let ratio = String(format: "%.2f", Self.seconds(p50) / Self.seconds(floor50))
            print(
                "anchor, nft -f of a one-line transaction: p50 \(Self.milliseconds(floor50)); change p50 = \(ratio)× anchor"
            )
        }
    }
}

/// `skiff-bench proxy-apply`: programs one ClusterIP Service with one endpoint into nftables and exits (the rules
/// stay): bench/proxy/run.sh measures throughput through it against the endpoint's own address.
struct ProxyApplyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-apply", abstract: "Program one Service into nftables (for bench/proxy)")

    @Option(help: "The Service's cluster IP.") var clusterIP = "10.43.0.100"
    @Option(help: "The Service's port (the endpoint listens on the same one).") var port = 5201
    @Option(help: "The endpoint's address.") var endpoint = "10.42.0.2"

    func run() async throws {
        var service = JSON.emptyObject
        service["metadata"] = ["name": "throughput", "namespace": "default"]
        service["spec"] = [
            "clusterIP": .string(clusterIP), "ports": [["name": "data", "port": .int(port), "protocol": "TCP"]],
        ]
        var slice = JSON.emptyObject
        slice["metadata"] = [
            "name": "throughput-x", "namespace": "default", "labels": ["kubernetes.io/service-name": "throughput"],
        ]
        slice["addressType"] = "IPv4"
        slice["ports"] = [["name": "data", "port": .int(port), "protocol": "TCP"]]
        slice["endpoints"] = [["addresses": [.string(endpoint)], "conditions": ["ready": true]]]
        let state = ServiceProxyState(
            services: [service], endpointSlices: [slice], node: "bench", clusterCIDR: IPv4Network("10.42.0.0/16")!,
            clusterDNS: "10.43.0.10")
        try await NFTCommand(logger: Logger(label: "proxy-apply")).apply(
            NFTRuleset.fullScript(NFTRuleset(state: state)))
    }
}
