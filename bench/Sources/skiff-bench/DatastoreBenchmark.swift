import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `skiff-bench datastores`: the same API load against several running skiff deployments — one server on SQLite, one
/// on PostgreSQL, two sharing one PostgreSQL database — and etcd 3.4 as the anchor, taking turns round by round.
/// Each deployment is a `--target name,tlsFolder,url[+url…],pid[+pid…]`: the load is split over its URLs (client `i`
/// on URL `i % n`), and its watch phase watches on the first URL while the updates go through the last, so with two
/// servers every delivery crosses from one server to the other through the database.
struct DatastoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastores",
        abstract: "API creates and cross-server watch delivery on several skiff deployments and etcd, in one run")

    @Option(help: "name,tlsFolder,url[+url…][,pid[+pid…]]; repeat for each deployment.") var target: [String]
    @Option(help: "etcd client URL (HTTP gateway), the anchor.") var etcd: String?
    @Option(help: "PID of etcd, for its CPU.") var etcdPid: Int?
    @Option(help: "Comma-separated client counts.") var writers = "1,16,64"
    @Option(help: "Creates per phase with many clients.") var operations = 6_000
    @Option(help: "Creates per phase with one client.") var singleWriterOperations = 600
    @Option(help: "Rounds; in each every deployment and etcd run once, in turn.") var rounds = 3
    @Option(help: "Watches open on the first server of each deployment.") var watchers = 100
    @Option(help: "Updates sent (through the last server) to the watchers.") var watchEvents = 100
    @Option(help: "Milliseconds between two updates.") var watchInterval = 20
    @Option(help: "Clients creating in the background during the loaded watch phase (0: no such phase).")
    var watchLoadClients = 16

    struct Target {
        var name: String
        var tls: String
        var urls: [String]
        var pids: [Int]

        init(_ spec: String) throws {
            let fields = spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 || fields.count == 4, !fields[0].isEmpty, !fields[2].isEmpty else {
                throw ValidationError("--target \(spec): expected name,tlsFolder,url[+url…][,pid[+pid…]]")
            }
            name = fields[0]
            tls = fields[1]
            urls = fields[2].split(separator: "+").map(String.init)
            pids = fields.count == 4 ? fields[3].split(separator: "+").compactMap { Int($0) } : []
        }

        /// Where watches are opened, and where the updates they wait for are sent.
        var watchURL: String { urls[0] }
        var writeURL: String { urls[urls.count - 1] }
    }

    struct Row {
        var system: String
        var clients: Int
        var round: Int
        var create: LoadRunner.Result
        var cpu: String
    }

    struct Watch {
        var system: String
        var loaded: Bool
        var delays: [Double]  // sorted ms
        var expected: Int
        var background: Double?  // creates/s meanwhile
        var note: String

        func percentile(_ q: Double) -> Double {
            delays.isEmpty ? .nan : delays[min(delays.count - 1, Int(Double(delays.count) * q))]
        }
    }

    func run() async throws {
        let targets = try target.map(Target.init)
        guard !targets.isEmpty else { throw ValidationError("no --target") }
        var clients: [String: HTTPClient] = [:]
        do {
            for target in targets { clients[target.name] = try Self.makeClient(tls: target.tls, watchers: watchers) }
            let etcdClient = try etcd.map { _ in try Self.makeClient(tls: nil, watchers: watchers) }
            if let etcdClient { clients["etcd"] = etcdClient }
            try await measure(targets, clients: clients)
        } catch {
            for client in clients.values { try? await client.shutdown() }
            throw error
        }
        for client in clients.values { try await client.shutdown() }
    }

    func measure(_ targets: [Target], clients: [String: HTTPClient]) async throws {
        let counts = writers.split(separator: ",").compactMap { Int($0) }
        let data = String(repeating: "x", count: 1000)  // ~1 KiB ConfigMap
        let encodedValue = Data(String(repeating: "x", count: 1024).utf8).base64EncodedString()  // 1 KiB etcd value
        let run = String(UUID().uuidString.prefix(6))
        // Every namespace up front (through the first server), so a create through another server never races the
        // namespace's own propagation.
        for target in targets {
            let api = APIClient(base: target.urls[0], http: clients[target.name]!)
            for count in counts {
                for round in 1...max(1, rounds) { try await api.createNamespace("ds-\(count)-\(round)") }
            }
            try await api.createNamespace("ds-watch")
            try await api.createNamespace("ds-watch-load")
            try await api.createNamespace("ds-background")
        }
        try await Task.sleep(for: .seconds(2))

        var rows: [Row] = []
        for count in counts {
            let total = count == 1 ? singleWriterOperations : operations
            for round in 1...max(1, rounds) {
                for target in targets {
                    let endpoints = try target.urls.map { try HTTPLoad.Endpoint(url: $0, tlsFolder: target.tls) }
                    let path = "/api/v1/namespaces/ds-\(count)-\(round)/configmaps"
                    let cpu = ProcessCPU(pids: target.pids)
                    let create = try await HTTPLoad.run(endpoints, concurrency: count, total: total) { worker, index in
                        HTTPLoad.Request(
                            method: .POST, path: path, contentType: "application/json",
                            body: ByteBuffer(string: APIClient.configMap(name: "cm-\(worker)-\(index)", data: data)))
                    }
                    rows.append(
                        .init(system: target.name, clients: count, round: round, create: create, cpu: cpu.report()))
                    print(Self.line(rows[rows.count - 1]))
                }
                if let etcd {
                    let endpoint = try HTTPLoad.Endpoint(url: etcd, tlsFolder: nil)
                    let cpu = ProcessCPU(pids: etcdPid.map { [$0] } ?? [])
                    let create = try await HTTPLoad.run(endpoint, concurrency: count, total: total) { worker, index in
                        HTTPLoad.Request(
                            method: .POST, path: "/v3/kv/put", contentType: "application/json",
                            body: ByteBuffer(
                                string: EtcdGateway.putBody(
                                    "/ds/\(run)/\(count)/\(round)/\(worker)/\(index)", encodedValue: encodedValue)))
                    }
                    rows.append(.init(system: "etcd", clients: count, round: round, create: create, cpu: cpu.report()))
                    print(Self.line(rows[rows.count - 1]))
                }
            }
        }

        var watches: [Watch] = []
        for loaded in watchLoadClients > 0 ? [false, true] : [false] {
            for target in targets {
                let watch = try await watchSkiff(target, http: clients[target.name]!, loaded: loaded, data: data)
                print(Self.line(watch, watchers: watchers, events: watchEvents))
                watches.append(watch)
            }
            if let etcd, let http = clients["etcd"] {
                let watch = try await watchEtcd(
                    EtcdGateway(url: etcd, http: http), run: run, loaded: loaded, encodedValue: encodedValue)
                print(Self.line(watch, watchers: watchers, events: watchEvents))
                watches.append(watch)
            }
        }
        print()
        print(report(rows, watches, systems: targets.map(\.name) + (etcd == nil ? [] : ["etcd"]), counts: counts))
    }

    // MARK: - Watch

    /// `watchers` watches on the target's first server, `watchEvents` updates through its last; the send instant is
    /// in the update (`data.tick`), each watcher subtracts it on receipt. With `loaded`, `watchLoadClients` clients
    /// create ConfigMaps over all the target's servers meanwhile, in another namespace: the watchers receive only
    /// the ticks, but every server (a PostgreSQL server's follower) reads the whole log.
    func watchSkiff(_ target: Target, http: HTTPClient, loaded: Bool, data: String) async throws -> Watch {
        let namespace = loaded ? "ds-watch-load" : "ds-watch"
        let writer = APIClient(base: target.writeURL, http: http)
        let reader = APIClient(base: target.watchURL, http: http)
        try await writer.createConfigMap(namespace: namespace, name: "ticker", data: "0")
        let version = try await reader.resourceVersion(namespace: namespace, name: "ticker")
        let needle = Array(#""tick":""#.utf8)
        let endpoints = try target.urls.map { try HTTPLoad.Endpoint(url: $0, tlsFolder: target.tls) }
        let clients = watchLoadClients
        let load: @Sendable (Int) async throws -> LoadRunner.Result = { batch in
            try await HTTPLoad.run(endpoints, concurrency: clients, total: 2_000) { worker, index in
                HTTPLoad.Request(
                    method: .POST, path: "/api/v1/namespaces/ds-background/configmaps",
                    contentType: "application/json",
                    body: ByteBuffer(string: APIClient.configMap(name: "bg-\(batch)-\(worker)-\(index)", data: data)))
            }
        }
        let background = loaded ? load : nil
        var watch = try await watchPhase(
            target.name, loaded: loaded, background: background,
            open: { opened, onStamp in
                try await reader.watch(
                    "/api/v1/namespaces/\(namespace)/configmaps?watch=1&resourceVersion=\(version)&timeoutSeconds=300",
                    opened: opened
                ) { line in
                    guard let stamp = APIBenchmark.quoted(after: needle, in: line) else { return true }
                    return onStamp(Substring(stamp))
                }
            },
            send: { stamp in try await writer.patchTick(namespace: namespace, name: "ticker", tick: stamp) })
        watch.note =
            target.urls.count > 1
            ? "watch on \(target.watchURL), updates through \(target.writeURL)" : "watch and updates on one server"
        return watch
    }

    func watchEtcd(_ gateway: EtcdGateway, run: String, loaded: Bool, encodedValue: String) async throws -> Watch {
        let key = "/ds-watch/\(run)/\(loaded)/ticker"
        let revision = try await gateway.plainPut(key, value: Array("0".utf8))
        let needle = Array(#""value":""#.utf8)
        let endpoint = try HTTPLoad.Endpoint(url: gateway.url, tlsFolder: nil)
        let clients = watchLoadClients
        let load: @Sendable (Int) async throws -> LoadRunner.Result = { batch in
            try await HTTPLoad.run(endpoint, concurrency: clients, total: 2_000) { worker, index in
                HTTPLoad.Request(
                    method: .POST, path: "/v3/kv/put", contentType: "application/json",
                    body: ByteBuffer(
                        string: EtcdGateway.putBody(
                            "/ds-bg/\(run)/\(batch)/\(worker)/\(index)", encodedValue: encodedValue)))
            }
        }
        let background = loaded ? load : nil
        var watch = try await watchPhase(
            "etcd", loaded: loaded, background: background,
            open: { opened, onStamp in
                try await gateway.watch(key, fromRevision: revision + 1, opened: opened) { line in
                    var rest = line[...]
                    while let range = APIBenchmark.quotedRange(after: needle, in: rest) {
                        if let decoded = Data(base64Encoded: Data(rest[range])),
                            !onStamp(Substring(String(decoding: decoded, as: UTF8.self)))
                        {
                            return false
                        }
                        rest = rest[range.upperBound...]
                    }
                    return true
                }
            },
            send: { stamp in _ = try await gateway.plainPut(key, value: Array(stamp.utf8)) })
        watch.note = "one member"
        return watch
    }

    func watchPhase(
        _ system: String, loaded: Bool, background: (@Sendable (Int) async throws -> LoadRunner.Result)?,
        open: @escaping @Sendable (_ opened: @Sendable () -> Void, _ onStamp: (Substring) -> Bool) async throws -> Void,
        send: @Sendable (_ stamp: String) async throws -> Void
    ) async throws -> Watch {
        let opened = Shared(0)
        let failures = Shared<[String]>([])
        let last = watchEvents - 1
        let clock = ContinuousClock()
        let start = clock.now
        var watch = Watch(
            system: system, loaded: loaded, delays: [], expected: watchers * watchEvents, background: nil, note: "")
        let stop = Shared(false)
        let loadTask: Task<(Int, Double), any Error>? = background.map { background in
            Task {
                var created = 0
                var seconds = 0.0
                var batch = 0
                while !stop.withLock({ $0 }) {
                    let result = try await background(batch)
                    created += result.operations - result.errors
                    seconds += result.seconds
                    batch += 1
                }
                return (created, seconds)
            }
        }
        try await withThrowingTaskGroup(of: ([Double], Bool)?.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var delays: [Double] = []
                    var complete = false
                    do {
                        try await open({ opened.withLock { $0 += 1 } }) { stamp in
                            guard let (tick, delay) = APIBenchmark.delay(stamp) else { return true }  // warm-up
                            delays.append(delay)
                            if tick == last { complete = true }
                            return !complete
                        }
                    } catch {
                        if !(error is CancellationError) {
                            failures.withLock { if $0.count < 3 { $0.append("\(error)") } }
                        }
                    }
                    return (delays, complete)
                }
            }
            while opened.withLock({ $0 }) < watchers, clock.now - start < .seconds(60) {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await send("warmup")
            try await Task.sleep(for: .seconds(1))
            for tick in 0..<watchEvents {
                try await send("\(tick):\(APIBenchmark.microsecondsNow())")
                try await Task.sleep(for: .milliseconds(watchInterval))
            }
            stop.withLock { $0 = true }
            group.addTask {
                try? await Task.sleep(for: .seconds(15))
                return nil
            }
            var finished = 0
            while let next = try await group.next() {
                guard let (delays, _) = next else {
                    group.cancelAll()
                    continue
                }
                watch.delays += delays
                finished += 1
                if finished == watchers { group.cancelAll() }
            }
        }
        if let loadTask {
            let (created, seconds) = try await loadTask.value
            watch.background = Double(created) / max(seconds, 1e-9)
        }
        watch.delays.sort()
        for failure in failures.withLock({ $0 }) { print("\(system) watch error: \(failure.prefix(300))") }
        return watch
    }

    // MARK: - Report

    static func line(_ row: Row) -> String {
        String(
            format: "%@ %d clients, round %d: %.0f creates/s, p50 %.2f ms, p99 %.2f ms, %d errors%@; %@",
            row.system, row.clients, row.round, row.create.perSecond, row.create.percentile(0.5),
            row.create.percentile(0.99), row.create.errors,
            row.create.firstError.map { " (first: \($0.prefix(200)))" } ?? "", row.cpu)
    }

    static func line(_ watch: Watch, watchers: Int, events: Int) -> String {
        String(
            format:
                "%@ watch%@, %d watchers × %d updates: %d/%d deliveries, p50 %.1f ms, p99 %.1f ms, max %.1f ms (%@)",
            watch.system,
            watch.background.map { String(format: " under load (%.0f creates/s in the background)", $0) } ?? "",
            watchers, events, watch.delays.count, watch.expected, watch.percentile(0.5), watch.percentile(0.99),
            watch.delays.last ?? .nan, watch.note)
    }

    func report(_ rows: [Row], _ watches: [Watch], systems: [String], counts: [Int]) -> String {
        func format(_ value: Double?, _ digits: Int = 0) -> String {
            guard let value, !value.isNaN else { return "–" }
            return String(format: "%.\(digits)f", value)
        }
        func median(_ values: [Double]) -> Double? { APIBenchmark.median(values) }
        var lines = ["Creates (closed loop, ~1 KiB ConfigMaps; etcd: plain puts of 1 KiB), median of \(rounds) rounds:"]
        lines.append("")
        lines.append("| clients | system | creates/s | p50 ms | p99 ms | errors | vs etcd creates/s (each round) |")
        lines.append("|---:|---|---:|---:|---:|---:|---:|")
        for count in counts {
            for system in systems {
                let mine = rows.filter { $0.system == system && $0.clients == count }
                guard !mine.isEmpty else { continue }
                var ratio = "–"
                if system != "etcd" {
                    let each = mine.compactMap { row in
                        rows.first { $0.system == "etcd" && $0.clients == count && $0.round == row.round }.map {
                            row.create.perSecond / $0.create.perSecond
                        }
                    }
                    if let middle = median(each) {
                        ratio = "\(format(middle, 2))× (" + each.map { format($0, 2) }.joined(separator: ", ") + ")"
                    }
                }
                lines.append(
                    "| \(count) | \(system) | \(format(median(mine.map(\.create.perSecond)))) "
                        + "| \(format(median(mine.map { $0.create.percentile(0.5) }), 2)) "
                        + "| \(format(median(mine.map { $0.create.percentile(0.99) }), 2)) "
                        + "| \(mine.map(\.create.errors).reduce(0, +)) | \(ratio) |")
            }
        }
        lines.append("")
        lines.append(
            "Watch delivery (\(watchers) watchers × \(watchEvents) updates \(watchInterval) ms apart; with two servers "
                + "the watches are on one and the updates go through the other):")
        lines.append("")
        lines.append("| system | load | deliveries | p50 ms | p99 ms | max ms | target p99 ≤ 100 ms |")
        lines.append("|---|---|---:|---:|---:|---:|---|")
        for watch in watches {
            let load =
                watch.background.map { "\(watchLoadClients) clients creating, \(format($0)) creates/s" } ?? "idle"
            let p99 = watch.percentile(0.99)
            let verdict =
                p99.isNaN || watch.delays.count < watch.expected ? "MISSED (incomplete)" : p99 <= 100 ? "met" : "MISSED"
            lines.append(
                "| \(watch.system) | \(load) | \(watch.delays.count)/\(watch.expected) "
                    + "| \(format(watch.percentile(0.5), 1)) | \(format(p99, 1)) | \(format(watch.delays.last, 1)) "
                    + "| \(verdict) |")
        }
        return lines.joined(separator: "\n")
    }

    static func makeClient(tls: String?, watchers: Int) throws -> HTTPClient {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let tls {
            tlsConfiguration.certificateChain = try NIOSSLCertificate.fromPEMFile("\(tls)/client-admin.crt").map {
                .certificate($0)
            }
            tlsConfiguration.privateKey = .privateKey(
                try NIOSSLPrivateKey(file: "\(tls)/client-admin.key", format: .pem))
            tlsConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(tls)/server-ca.crt"))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: watchers + 256)
        configuration.timeout.connect = .seconds(30)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}

/// CPU seconds of a set of processes (a deployment's servers) and of this load generator over a phase.
struct ProcessCPU {
    let pids: [Int]
    let clock = ContinuousClock()
    let began: ContinuousClock.Instant
    let client: Double
    let servers: Double?

    init(pids: [Int]) {
        self.pids = pids
        began = clock.now
        client = CPUSample.selfSeconds()
        servers = Self.total(pids)
    }

    static func total(_ pids: [Int]) -> Double? {
        guard !pids.isEmpty else { return nil }
        var sum = 0.0
        for pid in pids {
            guard let seconds = CPUSample.processSeconds(pid) else { return nil }
            sum += seconds
        }
        return sum
    }

    func report() -> String {
        let wall = LoadRunner.milliseconds(clock.now - began) / 1000
        var text = String(format: "wall %.1f s, load generator CPU %.1f s", wall, CPUSample.selfSeconds() - client)
        if let servers, let after = Self.total(pids) {
            text += String(format: ", server CPU %.1f s", after - servers)
        }
        return text
    }
}
