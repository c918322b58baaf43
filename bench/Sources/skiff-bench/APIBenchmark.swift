import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `skiff-bench api`: the Kubernetes API of a running `skiff server` under load, with etcd 3.4 (plain puts, ranges
/// and watches through its HTTP/JSON gateway, same load generator and concurrency) measured in the same run.
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api")

    @Option(help: "API server URL.") var server = "https://127.0.0.1:6443"
    @Option(help: "Folder with client-admin.crt/.key and server-ca.crt.") var tls: String
    @Option(help: "etcd client URL (HTTP gateway).") var etcd: String?
    @Option(help: "Comma-separated client counts.") var writers = "1,16,64"
    @Option(help: "Operations per phase with many clients.") var operations = 10_000
    @Option(help: "Rounds of the closed-loop phases, skiff and etcd taking turns; ratios are the median round's.")
    var rounds = 3
    @Option(help: "Operations per phase with one client.") var singleWriterOperations = 1_000
    @Option(help: "Open-loop rate of the fixed-rate phase (creates/s).") var pacedRate = 200
    @Option(help: "Seconds of the fixed-rate phase.") var pacedSeconds = 10
    @Option var listObjects = 10_000
    @Option var watchers = 1_000
    @Option(help: "Updates sent to the watchers.") var watchEvents = 100
    @Option(help: "Milliseconds between two updates sent to the watchers.") var watchInterval = 20
    @Option(help: "PID of the server, to report its memory and CPU.") var serverPid: Int?
    @Option(help: "PID of etcd, to report its memory and CPU.") var etcdPid: Int?
    @Option(help: "Start → /readyz in ms, measured by run.sh, for the summary.") var readyMilliseconds: Double?
    @Option(help: "Comma-separated phases to run: writes, rbac, paced, list, watch.")
    var phases = "writes,rbac,paced,list,watch"
    @Option(help: "Clients of the rbac phase (admin certificate against a ServiceAccount token under RBAC).")
    var rbacClients = 16

    func runs(_ phase: String) -> Bool { phases.split(separator: ",").contains(Substring(phase)) }

    func run() async throws {
        let client = try makeClient()
        do {
            try await runAll(client)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    struct Row {
        var system: String
        var clients: Int
        var round: Int
        var create: LoadRunner.Result
        var update: LoadRunner.Result
    }

    func runAll(_ client: HTTPClient) async throws {
        let api = APIClient(base: server, http: client)
        let gateway = etcd.map { EtcdGateway(url: $0, http: client) }
        let run = String(UUID().uuidString.prefix(6))
        var summary = Summary()
        if let serverPid {
            summary.idleRSS = Self.rssMegabytes(serverPid)
            print("server RSS idle: \(Self.format(summary.idleRSS)) MB")
        }

        // 1. Closed-loop creates and updates, 1/16/64 clients.
        var rows: [Row] = []
        let skiffEndpoint = try HTTPLoad.Endpoint(url: server, tlsFolder: tls)
        let etcdEndpoint = try etcd.map { try HTTPLoad.Endpoint(url: $0, tlsFolder: nil) }
        let data = String(repeating: "x", count: 1000)  // ~1 KiB ConfigMap
        let value = Array(data.utf8)  // 1 KiB etcd value
        // Rounds take turns (skiff, etcd, skiff, etcd, …) so that a slow spell of this shared machine falls on both.
        for count in writers.split(separator: ",").compactMap({ Int($0) }) where runs("writes") {
            for round in 1...max(1, rounds) {
                let total = count == 1 ? singleWriterOperations : operations
                let namespace = "bench-\(count)-\(round)"
                try await api.createNamespace(namespace)
                let cpu = CPUSample(serverPid: serverPid)
                let path = "/api/v1/namespaces/\(namespace)/configmaps"
                let create = try await HTTPLoad.run(skiffEndpoint, concurrency: count, total: total) { worker, index in
                    HTTPLoad.Request(
                        method: .POST, path: path, contentType: "application/json",
                        body: ByteBuffer(string: APIClient.configMap(name: "cm-\(worker)-\(index)", data: data)))
                }
                let update = try await HTTPLoad.run(skiffEndpoint, concurrency: count, total: total) { worker, index in
                    HTTPLoad.Request(
                        method: .PATCH, path: "\(path)/cm-\(worker)-\(index)",
                        contentType: "application/merge-patch+json",
                        body: ByteBuffer(string: #"{"data":{"payload":"\#(data)u"}}"#))
                }
                print("skiff \(count) clients, round \(round): \(cpu.report())")
                rows.append(.init(system: "skiff", clients: count, round: round, create: create, update: update))
                if let etcdEndpoint {
                    let cpu = CPUSample(serverPid: etcdPid)
                    let encodedValue = Data(value).base64EncodedString()
                    let put: @Sendable (Int, Int) -> HTTPLoad.Request = { worker, index in
                        HTTPLoad.Request(
                            method: .POST, path: "/v3/kv/put", contentType: "application/json",
                            body: ByteBuffer(
                                string: EtcdGateway.putBody(
                                    "/api/\(run)/\(count)/\(round)/\(worker)/\(index)", encodedValue: encodedValue)))
                    }
                    let etcdCreate = try await HTTPLoad.run(
                        etcdEndpoint, concurrency: count, total: total, request: put)
                    let etcdUpdate = try await HTTPLoad.run(
                        etcdEndpoint, concurrency: count, total: total, request: put)
                    print("etcd  \(count) clients, round \(round): \(cpu.report())")
                    rows.append(
                        .init(system: "etcd", clients: count, round: round, create: etcdCreate, update: etcdUpdate))
                }
            }
        }
        if runs("writes") {
            print()
            print(Self.report(rows))
        }
        for row in rows where row.create.errors + row.update.errors > 0 {
            print(
                "errors, \(row.system) \(row.clients) clients: \(row.create.firstError ?? row.update.firstError ?? "?")"
            )
        }
        summary.ratio16 = Self.medianRatio(rows, clients: 16) { $0.create.perSecond }
        if let serverPid, runs("writes") {
            print("\nserver RSS after writes: \(Self.format(Self.rssMegabytes(serverPid))) MB")
        }

        // 2. Open loop at a fixed rate.
        if runs("rbac") {
            try await rbac(api, data: data)
        }
        if runs("paced") {
            try await paced(api, gateway: gateway, run: run, data: data, value: value, summary: &summary)
        }

        // 3. List of `listObjects` objects.
        if runs("list") {
            print()
            try await list(api, gateway: gateway, run: run, data: data, value: value)
            if let serverPid { print("server RSS after the lists: \(Self.format(Self.rssMegabytes(serverPid))) MB") }
        }

        // 4. Watchers.
        if runs("watch") {
            print()
            // The watches get their own client, shut down afterwards, so their connections are really closed.
            let watchClient = try makeClient()
            do {
                summary.watchP99 = try await watchSkiff(api, watchAPI: APIClient(base: server, http: watchClient))
            } catch {
                try await watchClient.shutdown()
                throw error
            }
            try await watchClient.shutdown()
            try await afterWatch(api)
            if let gateway {
                let etcdWatchClient = try makeClient()
                do {
                    try await watchEtcd(
                        gateway, watchGateway: EtcdGateway(url: gateway.url, http: etcdWatchClient), run: run)
                } catch {
                    try await etcdWatchClient.shutdown()
                    throw error
                }
                try await etcdWatchClient.shutdown()
            }
        }
        if let serverPid {
            summary.loadedRSS = Self.rssMegabytes(serverPid)
            print(
                "\nserver RSS after the load (watchers closed): \(Self.format(summary.loadedRSS)) MB, \(Self.openFiles(serverPid)) open fds"
            )
        }
        if let etcdPid { print("etcd RSS after the load: \(Self.format(Self.rssMegabytes(etcdPid))) MB") }
        summary.readyMilliseconds = readyMilliseconds
        print()
        print(summary.report(pacedRate: pacedRate, watchers: watchers))
    }

    /// Creates as the admin (client certificate: `system:masters`, no RBAC evaluation) against creates as a
    /// ServiceAccount bound to `edit` in its namespace (bearer token, then an RBAC decision per request), taking turns.
    func rbac(_ api: APIClient, data: String) async throws {
        let namespace = "bench-rbac"
        try await api.createNamespace(namespace)
        _ = try await api.send(
            .POST, "/api/v1/namespaces/\(namespace)/serviceaccounts", body: #"{"metadata":{"name":"writer"}}"#)
        _ = try await api.send(
            .POST, "/apis/rbac.authorization.k8s.io/v1/namespaces/\(namespace)/rolebindings",
            body:
                #"{"metadata":{"name":"writer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"ServiceAccount","name":"writer","namespace":"\#(namespace)"}]}"#
        )
        let answer = try await api.send(
            .POST, "/api/v1/namespaces/\(namespace)/serviceaccounts/writer/token",
            body: #"{"spec":{"expirationSeconds":3600}}"#)
        guard let json = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
            let status = json["status"] as? [String: Any], let token = status["token"] as? String
        else { throw APIClient.Failure(description: "no token in \(String(decoding: answer, as: UTF8.self))") }
        try await Task.sleep(for: .milliseconds(200))  // the RBAC index follows the binding by watch
        let admin = try HTTPLoad.Endpoint(url: server, tlsFolder: tls)
        let account = try HTTPLoad.Endpoint(url: server, tlsFolder: tls, clientCertificate: false)
        let path = "/api/v1/namespaces/\(namespace)/configmaps"
        var admins: [Double] = []
        var accounts: [Double] = []
        var adminCPU: [Double] = []
        var accountCPU: [Double] = []
        for round in 1...max(1, rounds) {
            for (who, endpoint, bearer) in [("admin", admin, nil), ("sa", account, "Bearer \(token)")] {
                let cpuBefore = serverPid.flatMap(CPUSample.processSeconds)
                let result = try await HTTPLoad.run(endpoint, concurrency: rbacClients, total: operations) {
                    worker, index in
                    HTTPLoad.Request(
                        method: .POST, path: path, contentType: "application/json",
                        body: ByteBuffer(
                            string: APIClient.configMap(name: "\(who)-\(round)-\(worker)-\(index)", data: data)),
                        authorization: bearer)
                }
                if result.errors > 0 {
                    print("rbac \(who) round \(round): \(result.errors) errors, first: \(result.firstError ?? "")")
                }
                if who == "admin" { admins.append(result.perSecond) } else { accounts.append(result.perSecond) }
                if let pid = serverPid, let before = cpuBefore, let after = CPUSample.processSeconds(pid) {
                    let perCreate = (after - before) * 1e6 / Double(max(1, result.operations - result.errors))
                    if who == "admin" { adminCPU.append(perCreate) } else { accountCPU.append(perCreate) }
                }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print()
        print("RBAC: creates/s with \(rbacClients) clients, median of \(admins.count) rounds taking turns")
        print("  admin (client certificate, system:masters):        \(Int(median(admins)))  \(admins.map { Int($0) })")
        print(
            "  ServiceAccount with edit (bearer token, RBAC):     \(Int(median(accounts)))  \(accounts.map { Int($0) })"
        )
        print(String(format: "  ServiceAccount / admin: %.3f", median(accounts) / median(admins)))
        if !adminCPU.isEmpty, !accountCPU.isEmpty {
            print(
                String(
                    format: "  server CPU per create: admin %.0f µs, ServiceAccount %.0f µs (ratio %.3f; medians)",
                    median(adminCPU), median(accountCPU), median(accountCPU) / median(adminCPU)))
        }
    }

    func paced(
        _ api: APIClient, gateway: EtcdGateway?, run: String, data: String, value: [UInt8], summary: inout Summary
    ) async throws {
        print()
        try await api.createNamespace("bench-paced")
        let pacedTotal = pacedRate * pacedSeconds
        let paced = await LoadRunner.paced(rate: pacedRate, total: pacedTotal) { index in
            try await api.createConfigMap(namespace: "bench-paced", name: "p-\(index)", data: data)
        }
        summary.pacedP99 = paced.percentile(0.99)
        print(Self.pacedLine("skiff", paced))
        if let gateway {
            let etcdPaced = await LoadRunner.paced(rate: pacedRate, total: pacedTotal) { index in
                try await gateway.plainPut("/paced/\(run)/\(index)", value: value)
            }
            print(Self.pacedLine("etcd ", etcdPaced))
        }
    }

    static func report(_ rows: [Row]) -> String {
        func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "| clients | round | system | creates/s | create p50 ms | create p99 ms | updates/s | update p50 ms | update p99 ms | errors |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append(
                "| \(row.clients) | \(row.round) | \(row.system) | \(format(row.create.perSecond)) | \(format(row.create.percentile(0.5), 2)) "
                    + "| \(format(row.create.percentile(0.99), 2)) | \(format(row.update.perSecond)) "
                    + "| \(format(row.update.percentile(0.5), 2)) | \(format(row.update.percentile(0.99), 2)) "
                    + "| \(row.create.errors + row.update.errors) |")
        }
        lines.append("")
        lines.append("Median over the rounds of each round's skiff/etcd ratio (in brackets: every round's):")
        lines.append("")
        lines.append("| clients | skiff/etcd creates/s | skiff/etcd updates/s | skiff/etcd create p99 |")
        lines.append("|---:|---:|---:|---:|")
        var seen: Set<Int> = []
        for clients in rows.map(\.clients) where seen.insert(clients).inserted {
            func cell(_ measure: (Row) -> Double) -> String {
                let each = ratios(rows, clients: clients, measure)
                guard let median = median(each) else { return "–" }
                return "\(format(median, 2))× (" + each.map { format($0, 2) }.joined(separator: ", ") + ")"
            }
            lines.append(
                "| \(clients) | \(cell { $0.create.perSecond }) | \(cell { $0.update.perSecond }) "
                    + "| \(cell { $0.create.percentile(0.99) }) |")
        }
        return lines.joined(separator: "\n")
    }

    /// skiff/etcd per round, for the rounds where both ran.
    static func ratios(_ rows: [Row], clients: Int, _ measure: (Row) -> Double) -> [Double] {
        rows.filter { $0.system == "skiff" && $0.clients == clients }.compactMap { skiff in
            rows.first { $0.system == "etcd" && $0.clients == clients && $0.round == skiff.round }.map {
                measure(skiff) / measure($0)
            }
        }
    }

    static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func medianRatio(_ rows: [Row], clients: Int, _ measure: (Row) -> Double) -> Double? {
        median(ratios(rows, clients: clients, measure))
    }

    static func pacedLine(_ system: String, _ result: LoadRunner.Result) -> String {
        String(
            format: "%@ %d creates at %.0f/s (open loop): p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors%@",
            system, result.operations, Double(result.operations) / result.seconds, result.percentile(0.5),
            result.percentile(0.99), result.latencies.last ?? .nan, result.errors,
            result.firstError.map { " (\($0.prefix(200)))" } ?? "")
    }

    func list(_ api: APIClient, gateway: EtcdGateway?, run: String, data: String, value: [UInt8]) async throws {
        try await api.createNamespace("bench-list")
        let fill = await LoadRunner.run(concurrency: 16, total: listObjects) { worker, index in
            try await api.createConfigMap(namespace: "bench-list", name: "l-\(worker)-\(index)", data: data)
        }
        var times: [Double] = []
        var count = 0
        var bytes = 0
        var rss: [String] = []
        let clock = ContinuousClock()
        let cpu = CPUSample(serverPid: serverPid)
        for _ in 0..<5 {
            let began = clock.now
            let body = try await api.get("/api/v1/namespaces/bench-list/configmaps")
            times.append(LoadRunner.milliseconds(clock.now - began))
            if let serverPid { rss.append(Self.format(Self.rssMegabytes(serverPid), 0)) }
            bytes = body.count
            count = Self.occurrences(of: Array(#""uid":""#.utf8), in: body)
        }
        times.sort()
        print(
            String(
                format:
                    "skiff list of %d ConfigMaps (%.1f MB JSON): median %.1f ms, best %.1f ms (filled at %.0f creates/s with 16 clients)",
                count, Double(bytes) / 1e6, times[2], times[0], fill.perSecond) + "; 5 lists: \(cpu.report())"
                + (rss.isEmpty ? "" : "; server RSS after each list: \(rss.joined(separator: ", ")) MB"))
        guard let gateway else { return }
        let prefix = "/list/\(run)/"
        _ = await LoadRunner.run(concurrency: 16, total: listObjects) { worker, index in
            try await gateway.plainPut("\(prefix)\(worker)/\(index)", value: value)
        }
        times = []
        for _ in 0..<5 {
            let began = clock.now
            (count, bytes) = try await gateway.rangePrefix(prefix)
            times.append(LoadRunner.milliseconds(clock.now - began))
        }
        times.sort()
        print(
            String(
                format: "etcd  range of %d keys (%.1f MB JSON, base64 values): median %.1f ms, best %.1f ms", count,
                Double(bytes) / 1e6, times[2], times[0]))
    }

    // MARK: - Watch

    struct WatchResult {
        var opened = 0
        var delays: [Double] = []  // sorted, milliseconds
        var expected = 0
        var complete = 0  // watchers that saw the last update
        var openSeconds = 0.0
        var cpu = ""
        var whileOpen = ""

        func line(_ system: String, watchers: Int, events: Int, interval: Int) -> String {
            let p = { (q: Double) in
                delays.isEmpty ? Double.nan : delays[min(delays.count - 1, Int(Double(delays.count) * q))]
            }
            return String(
                format:
                    "%@ %d watchers (%d open in %.1f s) × %d updates every %d ms: %d/%d deliveries, %d watchers complete; "
                    + "delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                system, watchers, opened, openSeconds, events, interval, delays.count, expected, complete, p(0.5),
                p(0.99),
                delays.last ?? .nan) + "; \(cpu); \(whileOpen)"
        }

        var p99: Double { delays.isEmpty ? .nan : delays[min(delays.count - 1, Int(Double(delays.count) * 0.99))] }
    }

    /// Send instants are microseconds since `origin`, embedded in the update itself; each watcher subtracts on receipt.
    static let origin = ContinuousClock.now
    static func microsecondsNow() -> Int64 { Int64(LoadRunner.milliseconds(origin.duration(to: .now)) * 1000) }

    /// Parses "tick:microseconds", returns (tick, delay ms).
    static func delay(_ stamp: Substring) -> (Int, Double)? {
        guard let colon = stamp.firstIndex(of: ":"), let tick = Int(stamp[..<colon]),
            let sent = Int64(stamp[stamp.index(after: colon)...])
        else { return nil }
        return (tick, Double(microsecondsNow() - sent) / 1000)
    }

    /// Opens `watchers` watches, sends `watchEvents` updates, each watcher timestamps every arrival.
    func watchPhase(
        _ system: String,
        open: @escaping @Sendable (_ opened: @Sendable () -> Void, _ onStamp: (Substring) -> Bool) async throws -> Void,
        send: @Sendable (_ stamp: String) async throws -> Void
    ) async throws -> WatchResult {
        let opened = Shared(0)
        let failures = Shared<[String]>([])
        let last = watchEvents - 1
        let clock = ContinuousClock()
        let start = clock.now
        var result = WatchResult(expected: watchers * watchEvents)
        var cpuReport = ""
        try await withThrowingTaskGroup(of: ([Double], Bool)?.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var delays: [Double] = []
                    var complete = false
                    delays.reserveCapacity(self.watchEvents)
                    do {
                        try await open({ opened.withLock { $0 += 1 } }) { stamp in
                            guard let (tick, delay) = Self.delay(stamp) else { return true }  // warm-up
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
            // Wait for the watches to be established (at most 60 s), then one warm-up update not measured.
            while opened.withLock({ $0 }) < watchers, clock.now - start < .seconds(60) {
                try await Task.sleep(for: .milliseconds(20))
            }
            result.opened = opened.withLock { $0 }
            result.openSeconds = LoadRunner.milliseconds(clock.now - start) / 1000
            if let pid = system == "etcd" ? etcdPid : serverPid {
                result.whileOpen =
                    "\(system) RSS with the watches open \(Self.format(Self.rssMegabytes(pid))) MB, \(Self.openFiles(pid)) fds"
            }
            try await send("warmup")
            try await Task.sleep(for: .seconds(1))
            let sendCPU = CPUSample(serverPid: system == "etcd" ? etcdPid : serverPid)
            for tick in 0..<watchEvents {
                try await send("\(tick):\(Self.microsecondsNow())")
                try await Task.sleep(for: .milliseconds(watchInterval))
            }
            // Deliveries still in flight get 15 s, then the stragglers are cancelled.
            group.addTask {
                try? await Task.sleep(for: .seconds(15))
                return nil
            }
            var finished = 0
            while let next = try await group.next() {
                guard let (delays, complete) = next else {
                    group.cancelAll()
                    continue
                }
                result.delays += delays
                if complete { result.complete += 1 }
                finished += 1
                if finished == watchers {
                    cpuReport = sendCPU.report()
                    group.cancelAll()
                }
            }
            if cpuReport.isEmpty { cpuReport = sendCPU.report() }
        }
        result.cpu = "during the updates: " + cpuReport
        result.delays.sort()
        for failure in failures.withLock({ $0 }) { print("\(system) watch error: \(failure.prefix(300))") }
        return result
    }

    func watchSkiff(_ api: APIClient, watchAPI: APIClient) async throws -> Double {
        try await api.createNamespace("bench-watch")
        try await api.createConfigMap(namespace: "bench-watch", name: "ticker", data: "0")
        let version = try await api.resourceVersion(namespace: "bench-watch", name: "ticker")
        let needle = Array(#""tick":""#.utf8)
        let result = try await watchPhase(
            "skiff",
            open: { opened, onStamp in
                try await watchAPI.watch(
                    "/api/v1/namespaces/bench-watch/configmaps?watch=1&resourceVersion=\(version)&timeoutSeconds=300",
                    opened: opened
                ) { line in
                    guard let stamp = Self.quoted(after: needle, in: line) else { return true }
                    return onStamp(Substring(stamp))
                }
            },
            send: { stamp in try await api.patchTick(namespace: "bench-watch", name: "ticker", tick: stamp) })
        print(result.line("skiff", watchers: watchers, events: watchEvents, interval: watchInterval))
        return result.p99
    }

    /// Whether the server lets go of watches whose clients have hung up (their client has been shut down).
    func afterWatch(_ api: APIClient) async throws {
        guard let serverPid else { return }
        try await Task.sleep(for: .seconds(2))
        let before = "\(Self.openFiles(serverPid)) fds, RSS \(Self.format(Self.rssMegabytes(serverPid))) MB"
        // A server may notice a gone client only when it next writes to it.
        try await api.patchTick(namespace: "bench-watch", name: "ticker", tick: "after")
        try await Task.sleep(for: .seconds(2))
        print(
            "skiff server 2 s after the \(watchers) watch connections were closed: \(before); 2 s after one more update: "
                + "\(Self.openFiles(serverPid)) fds, RSS \(Self.format(Self.rssMegabytes(serverPid))) MB")
    }

    func watchEtcd(_ gateway: EtcdGateway, watchGateway: EtcdGateway, run: String) async throws {
        let key = "/watch/\(run)/ticker"
        let revision = try await gateway.plainPut(key, value: Array("0".utf8))
        let needle = Array(#""value":""#.utf8)
        let result = try await watchPhase(
            "etcd",
            open: { opened, onStamp in
                try await watchGateway.watch(key, fromRevision: revision + 1, opened: opened) { line in
                    // One message may carry several events; each kv has its base64 value.
                    var rest = line[...]
                    while let range = Self.quotedRange(after: needle, in: rest) {
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
        print(result.line("etcd ", watchers: watchers, events: watchEvents, interval: watchInterval))
    }

    static func quotedRange(after needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Range<Int>? {
        guard let start = bytes.firstRange(of: needle)?.upperBound,
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\""))
        else { return nil }
        return start..<end
    }

    static func quoted(after needle: [UInt8], in bytes: ArraySlice<UInt8>) -> String? {
        quotedRange(after: needle, in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    static func occurrences(of needle: [UInt8], in bytes: [UInt8]) -> Int {
        var count = 0
        var rest = bytes[...]
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }

    // MARK: - Client, process figures

    func makeClient() throws -> HTTPClient {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        tlsConfiguration.certificateChain = try NIOSSLCertificate.fromPEMFile("\(tls)/client-admin.crt").map {
            .certificate($0)
        }
        tlsConfiguration.privateKey = .privateKey(try NIOSSLPrivateKey(file: "\(tls)/client-admin.key", format: .pem))
        tlsConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(tls)/server-ca.crt"))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: watchers + 256)
        configuration.timeout.connect = .seconds(30)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static func openFiles(_ pid: Int) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    static func rssMegabytes(_ pid: Int) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kb / 1024
    }

    static func format(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value, !value.isNaN else { return "?" }
        return String(format: "%.\(digits)f", value)
    }

    /// Targets from the issue, checked against this run's figures.
    struct Summary {
        var idleRSS: Double?
        var loadedRSS: Double?
        var ratio16: Double?
        var pacedP99: Double?
        var watchP99: Double?
        var readyMilliseconds: Double?

        func report(pacedRate: Int, watchers: Int) -> String {
            func verdict(_ value: Double?, _ met: (Double) -> Bool) -> String {
                guard let value, !value.isNaN else { return "not measured" }
                return met(value) ? "met" : "MISSED"
            }
            return [
                "| target | figure | verdict |",
                "|---|---:|---|",
                "| creates/s at 16 clients ≥ 2× etcd puts | \(APIBenchmark.format(ratio16, 2))× | \(verdict(ratio16) { $0 >= 2 }) |",
                "| mutating p99 at \(pacedRate) req/s ≤ 20 ms | \(APIBenchmark.format(pacedP99, 2)) ms | \(verdict(pacedP99) { $0 <= 20 }) |",
                "| \(watchers) watchers, delivery p99 ≤ 100 ms | \(APIBenchmark.format(watchP99)) ms | \(verdict(watchP99) { $0 <= 100 }) |",
                "| server RSS idle ≤ 60 MB | \(APIBenchmark.format(idleRSS)) MB | \(verdict(idleRSS) { $0 <= 60 }) |",
                "| start → /readyz ≤ 1 s | \(APIBenchmark.format(readyMilliseconds, 0)) ms | \(verdict(readyMilliseconds) { $0 <= 1000 }) |",
                "| server RSS after the load | \(APIBenchmark.format(loadedRSS)) MB | (reported) |",
            ].joined(separator: "\n")
        }
    }
}

/// CPU seconds of this process (the load generator) and of the server between creation and `report()`.
struct CPUSample {
    let serverPid: Int?
    let clock = ContinuousClock()
    let began: ContinuousClock.Instant
    let client: Double
    let server: Double?

    init(serverPid: Int?) {
        self.serverPid = serverPid
        began = clock.now
        client = Self.selfSeconds()
        server = serverPid.flatMap(Self.processSeconds)
    }

    func report() -> String {
        let wall = LoadRunner.milliseconds(clock.now - began) / 1000
        var text = String(format: "wall %.1f s, load generator CPU %.1f s", wall, Self.selfSeconds() - client)
        if let serverPid, let before = server, let after = Self.processSeconds(serverPid) {
            text += String(format: ", server CPU %.1f s", after - before)
        }
        return text
    }

    static func selfSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// utime + stime from /proc/PID/stat (fields 14 and 15, in clock ticks).
    static func processSeconds(_ pid: Int) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// The few API calls the benchmark makes.
struct APIClient: Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let base: String
    let http: HTTPClient

    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json")
        async throws -> [UInt8]
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "\(method) \(path): \(response.status) \(String(buffer: bytes).prefix(300))")
        }
        return Array(bytes.readableBytesView)
    }

    func get(_ path: String) async throws -> [UInt8] { try await send(.GET, path) }

    func createNamespace(_ name: String) async throws {
        _ = try await send(.POST, "/api/v1/namespaces", body: #"{"metadata":{"name":"\#(name)"}}"#)
    }

    /// The ConfigMap every create phase sends.
    static func configMap(name: String, data: String) -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","labels":{"app":"bench"}},"data":{"payload":"\#(data)"}}"#
    }

    func createConfigMap(namespace: String, name: String, data: String) async throws {
        _ = try await send(
            .POST, "/api/v1/namespaces/\(namespace)/configmaps", body: Self.configMap(name: name, data: data))
    }

    func patchTick(namespace: String, name: String, tick: String) async throws {
        _ = try await send(
            .PATCH, "/api/v1/namespaces/\(namespace)/configmaps/\(name)", body: #"{"data":{"tick":"\#(tick)"}}"#,
            contentType: "application/merge-patch+json")
    }

    func resourceVersion(namespace: String, name: String) async throws -> String {
        let text = String(decoding: try await get("/api/v1/namespaces/\(namespace)/configmaps/\(name)"), as: UTF8.self)
        guard let range = text.range(of: "\"resourceVersion\":\""),
            let end = text[range.upperBound...].firstIndex(of: "\"")
        else {
            throw Failure(description: "no resourceVersion in \(text.prefix(200))")
        }
        return String(text[range.upperBound..<end])
    }

    /// Streams a watch, calling `onLine` per event line until it returns false.
    func watch(_ path: String, opened: @Sendable () -> Void, onLine: (ArraySlice<UInt8>) -> Bool) async throws {
        let request = HTTPClientRequest(url: base + path)
        let response = try await http.execute(request, timeout: .seconds(600))
        guard response.status == .ok else { throw Failure(description: "watch \(path): \(response.status)") }
        opened()
        try await LineReader.forEachLine(response.body, onLine)
    }
}

enum LineReader {
    /// Splits a streamed body into newline-terminated lines.
    static func forEachLine(_ body: HTTPClientResponse.Body, _ onLine: (ArraySlice<UInt8>) -> Bool) async throws {
        var pending: [UInt8] = []
        for try await buffer in body {
            pending.append(contentsOf: buffer.readableBytesView)
            var consumed = 0
            while let newline = pending[consumed...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[consumed..<newline]
                consumed = newline + 1
                if !onLine(line) { return }
            }
            pending.removeFirst(consumed)
        }
    }
}

/// etcd's HTTP/JSON gateway: plain puts, prefix ranges and watches (keys and values base64).
extension EtcdGateway {
    /// A `/v3/kv/put` body; the value already base64-encoded (the write phases encode it once).
    static func putBody(_ key: String, encodedValue: String) -> String {
        #"{"key":"\#(Data(key.utf8).base64EncodedString())","value":"\#(encodedValue)"}"#
    }

    @discardableResult
    func plainPut(_ key: String, value: [UInt8]) async throws -> Int64 {
        let text = try await post("/v3/kv/put", Self.putBody(key, encodedValue: Data(value).base64EncodedString()))
        guard let range = text.range(of: "\"revision\":\""), let end = text[range.upperBound...].firstIndex(of: "\""),
            let revision = Int64(text[range.upperBound..<end])
        else { throw Failure(message: "etcd put answer without revision: \(text.prefix(200))") }
        return revision
    }

    /// All keys under `prefix`; returns (count, body bytes).
    func rangePrefix(_ prefix: String) async throws -> (Int, Int) {
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        let body =
            #"{"key":"\#(Data(prefix.utf8).base64EncodedString())","range_end":"\#(Data(end).base64EncodedString())"}"#
        let text = try await post("/v3/kv/range", body)
        guard let range = text.range(of: "\"count\":\""), let close = text[range.upperBound...].firstIndex(of: "\""),
            let count = Int(text[range.upperBound..<close])
        else { throw Failure(message: "etcd range answer without count: \(text.prefix(200))") }
        return (count, text.utf8.count)
    }

    func post(_ path: String, _ body: String) async throws -> String {
        var request = HTTPClientRequest(url: url + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(60))
        let text = String(buffer: try await response.body.collect(upTo: 256 << 20))
        guard response.status == .ok else {
            throw Failure(message: "etcd \(path): \(response.status) \(text.prefix(200))")
        }
        return text
    }

    /// A gateway watch: one JSON message per line; the first (`"created":true`) means the watch is registered.
    func watch(
        _ key: String, fromRevision revision: Int64, opened: @Sendable () -> Void, onLine: (ArraySlice<UInt8>) -> Bool
    )
        async throws
    {
        var request = HTTPClientRequest(url: url + "/v3/watch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(
            ByteBuffer(
                string:
                    #"{"create_request":{"key":"\#(Data(key.utf8).base64EncodedString())","start_revision":"\#(revision)"}}"#
            ))
        let response = try await http.execute(request, timeout: .seconds(600))
        guard response.status == .ok else { throw Failure(message: "etcd watch: \(response.status)") }
        var created = false
        try await LineReader.forEachLine(response.body) { line in
            if !created, line.firstRange(of: Array(#""created":true"#.utf8)) != nil {
                created = true
                opened()
                return true
            }
            return onLine(line)
        }
    }
}

/// A value shared between concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
