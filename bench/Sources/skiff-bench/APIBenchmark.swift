import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// `skiff-bench api`: the Kubernetes API of a running `skiff server` under load, with etcd 3.4 puts (through its
/// HTTP gateway, same load generator and concurrency) measured in the same run.
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api")

    @Option(help: "API server URL.") var server = "https://127.0.0.1:6443"
    @Option(help: "Folder with client-admin.crt/.key and server-ca.crt.") var tls: String
    @Option(help: "etcd client URL (HTTP gateway).") var etcd: String?
    @Option var writers = "1,16,64"
    @Option var operations = 10_000
    @Option var singleWriterOperations = 1_000
    @Option var listObjects = 10_000
    @Option var watchers = 1_000
    @Option var watchEvents = 200
    @Option(help: "PID of the server, to report its memory.") var serverPid: Int?

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

    func runAll(_ client: HTTPClient) async throws {
        let api = APIClient(base: server, http: client)
        if let serverPid { print("server RSS idle: \(Self.rssMegabytes(serverPid)) MB") }
        var rows: [StoreBenchmark.Row] = []
        let data = String(repeating: "x", count: 900)
        for count in writers.split(separator: ",").compactMap({ Int($0) }) {
            let total = count == 1 ? singleWriterOperations : operations
            let namespace = "bench-\(count)"
            try await api.createNamespace(namespace)
            let create = await LoadRunner.run(concurrency: count, total: total) { worker, index in
                try await api.createConfigMap(namespace: namespace, name: "cm-\(worker)-\(index)", data: data)
            }
            let update = await LoadRunner.run(concurrency: count, total: total) { worker, index in
                try await api.patchConfigMap(namespace: namespace, name: "cm-\(worker)-\(index)", data: data)
            }
            rows.append(.init(system: "skiff API", writers: count, create: create, update: update))
            if let etcd {
                let gateway = EtcdGateway(url: etcd, http: client)
                let value = Array(data.utf8) + Array(repeating: UInt8(ascii: "y"), count: 124)
                let run = UUID().uuidString.prefix(6)
                let revisions = RevisionTable(writers: count, perWorker: max(1, total / count))
                let etcdCreate = await LoadRunner.run(concurrency: count, total: total) { worker, index in
                    revisions.set(worker, index, try await gateway.put("/api/\(run)/\(worker)/\(index)", value: value, ifModRevision: 0))
                }
                let etcdUpdate = await LoadRunner.run(concurrency: count, total: total) { worker, index in
                    revisions.set(
                        worker, index,
                        try await gateway.put("/api/\(run)/\(worker)/\(index)", value: value, ifModRevision: revisions.get(worker, index)))
                }
                rows.append(.init(system: "etcd", writers: count, create: etcdCreate, update: etcdUpdate))
            }
        }
        print(StoreBenchmark.report(rows).replacingOccurrences(of: "skiff/etcd", with: "skiff API/etcd"))
        if let serverPid { print("server RSS after writes: \(Self.rssMegabytes(serverPid)) MB") }

        try await paced(api)
        try await list(api)
        try await watch(api)
        if let serverPid { print("server RSS with \(watchers) watchers done: \(Self.rssMegabytes(serverPid)) MB") }
    }

    /// Mutating latency at a steady 200 requests/s (open loop: requests start on schedule, whatever the latency).
    func paced(_ api: APIClient) async throws {
        try await api.createNamespace("bench-paced")
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = Shared<[Double]>([])
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<2000 {
                let due = start + .milliseconds(index * 5)
                group.addTask {
                    try? await Task.sleep(until: due, clock: clock)
                    let began = clock.now
                    try? await api.createConfigMap(namespace: "bench-paced", name: "p-\(index)", data: "paced")
                    let elapsed = LoadRunner.milliseconds(clock.now - began)
                    latencies.withLock { $0.append(elapsed) }
                }
            }
        }
        let sorted = latencies.withLock { $0 }.sorted()
        let p = { (q: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        print(String(format: "mutating at 200 req/s for 10 s: p50 %.2f ms, p99 %.2f ms, max %.2f ms", p(0.5), p(0.99), sorted.last ?? 0))
    }

    func list(_ api: APIClient) async throws {
        try await api.createNamespace("bench-list")
        _ = await LoadRunner.run(concurrency: 16, total: listObjects) { worker, index in
            try await api.createConfigMap(namespace: "bench-list", name: "l-\(worker)-\(index)", data: String(repeating: "z", count: 900))
        }
        var times: [Double] = []
        var count = 0
        var bytes = 0
        for _ in 0..<5 {
            let clock = ContinuousClock()
            let began = clock.now
            let body = try await api.get("/api/v1/namespaces/bench-list/configmaps")
            times.append(LoadRunner.milliseconds(clock.now - began))
            bytes = body.count
            count = body.split(separator: UInt8(ascii: "{")).count
        }
        times.sort()
        print(String(format: "list of %d ConfigMaps (%.1f MB): median %.1f ms, best %.1f ms (%d objects in body)", listObjects, Double(bytes) / 1e6, times[2], times[0], count / 2))
    }

    /// Opens many watches, then writes; each watcher timestamps the arrival of every event.
    func watch(_ api: APIClient) async throws {
        try await api.createNamespace("bench-watch")
        try await api.createConfigMap(namespace: "bench-watch", name: "ticker", data: "0")
        let version = try await api.resourceVersion(namespace: "bench-watch", name: "ticker")
        let sent = Shared<[String: ContinuousClock.Instant]>([:])
        let delays = Shared<[Double]>([])
        let ready = Shared(0)
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    try await api.watch("/api/v1/namespaces/bench-watch/configmaps?watch=true&resourceVersion=\(version)&timeoutSeconds=120", opened: {
                        ready.withLock { $0 += 1 }
                    }) { line in
                        guard let range = line.range(of: "\"tick\":\""), let end = line[range.upperBound...].firstIndex(of: "\"") else { return true }
                        let tick = String(line[range.upperBound..<end])
                        let arrived = clock.now
                        if let at = sent.withLock({ $0[tick] }) { delays.withLock { $0.append(LoadRunner.milliseconds(arrived - at)) } }
                        return tick != "\(watchEvents - 1)"
                    }
                }
            }
            while ready.withLock({ $0 }) < watchers { try await Task.sleep(for: .milliseconds(50)) }
            for tick in 0..<watchEvents {
                sent.withLock { $0["\(tick)"] = clock.now }
                try await api.patchTick(namespace: "bench-watch", name: "ticker", tick: tick)
                try await Task.sleep(for: .milliseconds(20))
            }
            try await group.waitForAll()
        }
        let sorted = delays.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { print("watch: no deliveries measured"); return }
        let p = { (q: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        print(String(format: "%d watchers × %d events (%d deliveries): p50 %.1f ms, p99 %.1f ms, max %.1f ms", watchers, watchEvents, sorted.count, p(0.5), p(0.99), sorted.last ?? 0))
    }

    func makeClient() throws -> HTTPClient {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        tlsConfiguration.certificateChain = try NIOSSLCertificate.fromPEMFile("\(tls)/client-admin.crt").map { .certificate($0) }
        tlsConfiguration.privateKey = .file("\(tls)/client-admin.key")
        tlsConfiguration.trustRoots = .file("\(tls)/server-ca.crt")
        var configuration = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration)
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: watchers + 128)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static func rssMegabytes(_ pid: Int) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return "?" }
        return String(format: "%.1f", kb / 1024)
    }
}

/// The few API calls the benchmark makes.
struct APIClient: Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let base: String
    let http: HTTPClient

    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json") async throws -> [UInt8] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        guard (200..<300).contains(Int(response.status.code)) || response.status.code == 409 else {
            throw Failure(description: "\(method) \(path): \(response.status) \(String(buffer: bytes).prefix(300))")
        }
        return Array(bytes.readableBytesView)
    }

    func get(_ path: String) async throws -> [UInt8] { try await send(.GET, path) }

    func createNamespace(_ name: String) async throws {
        _ = try await send(.POST, "/api/v1/namespaces", body: #"{"metadata":{"name":"\#(name)"}}"#)
    }

    func createConfigMap(namespace: String, name: String, data: String) async throws {
        _ = try await send(
            .POST, "/api/v1/namespaces/\(namespace)/configmaps",
            body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","labels":{"app":"bench"}},"data":{"payload":"\#(data)"}}"#)
    }

    func patchConfigMap(namespace: String, name: String, data: String) async throws {
        _ = try await send(
            .PATCH, "/api/v1/namespaces/\(namespace)/configmaps/\(name)", body: #"{"data":{"payload":"\#(data)u"}}"#,
            contentType: "application/merge-patch+json")
    }

    func patchTick(namespace: String, name: String, tick: Int) async throws {
        _ = try await send(
            .PATCH, "/api/v1/namespaces/\(namespace)/configmaps/\(name)", body: #"{"data":{"tick":"\#(tick)"}}"#,
            contentType: "application/merge-patch+json")
    }

    func resourceVersion(namespace: String, name: String) async throws -> String {
        let text = String(decoding: try await get("/api/v1/namespaces/\(namespace)/configmaps/\(name)"), as: UTF8.self)
        guard let range = text.range(of: "\"resourceVersion\":\""), let end = text[range.upperBound...].firstIndex(of: "\"") else {
            throw Failure(description: "no resourceVersion in \(text.prefix(200))")
        }
        return String(text[range.upperBound..<end])
    }

    /// Streams a watch, calling `onLine` per event line until it returns false.
    func watch(_ path: String, opened: @Sendable () -> Void, onLine: @Sendable (Substring) -> Bool) async throws {
        let request = HTTPClientRequest(url: base + path)
        let response = try await http.execute(request, timeout: .seconds(180))
        opened()
        var pending: [UInt8] = []
        for try await buffer in response.body {
            pending.append(contentsOf: buffer.readableBytesView)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if !onLine(line[...]) { return }
            }
        }
    }
}

/// A value shared between concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
