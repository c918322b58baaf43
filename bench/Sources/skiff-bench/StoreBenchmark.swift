import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SkiffStore
import Synchronization

/// `skiff-bench store`: creates/s and updates/s (compare-and-swap, as the API server writes) with 1, 16 and 64
/// concurrent writers on 1 KiB values, SkiffStore (SQLite, WAL, synchronous=FULL, group commit) against etcd 3.4
/// transactions through its HTTP/JSON gateway, in the same run.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store")

    @Option(help: "Comma-separated writer counts.") var writers = "1,16,64"
    @Option(help: "Operations per phase with many writers.") var operations = 20_000
    @Option(help: "Operations per phase with one writer (fsync-bound).") var singleWriterOperations = 2_000
    @Option var valueSize = 1024
    @Option(help: "Folder for the SQLite databases.") var dir: String
    @Option(help: "etcd client URL (its HTTP gateway), e.g. http://127.0.0.1:23790.") var etcd: String?

    struct Row {
        var system: String
        var writers: Int
        var create: LoadRunner.Result
        var update: LoadRunner.Result
    }

    func run() async throws {
        let counts = writers.split(separator: ",").compactMap { Int($0) }
        let value = Array(String(repeating: "x", count: valueSize).utf8)
        var rows: [Row] = []
        let http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: {
                var configuration = HTTPClient.Configuration()
                configuration.connectionPool = .init(
                    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
                return configuration
            }())
        do {
            for count in counts {
                let total = count == 1 ? singleWriterOperations : operations
                rows.append(try await skiff(writers: count, total: total, value: value))
                if let etcd {
                    rows.append(
                        try await etcdRun(
                            EtcdGateway(url: etcd, http: http), writers: count, total: total, value: value))
                }
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
        print(Self.report(rows))
    }

    func skiff(writers: Int, total: Int, value: [UInt8]) async throws -> Row {
        let path = "\(dir)/store-\(writers)-\(UUID().uuidString.prefix(6)).db"
        let store = try SQLiteStore(path: path, logger: Logger(label: "bench"))
        defer { store.close() }
        let revisions = RevisionTable(writers: writers, perWorker: max(1, total / writers))
        let create = await LoadRunner.run(concurrency: writers, total: total) { worker, index in
            let kv = try await store.create("/bench/\(worker)/\(index)", value: value)
            revisions.set(worker, index, kv.modRevision)
        }
        let update = await LoadRunner.run(concurrency: writers, total: total) { worker, index in
            let kv = try await store.update(
                "/bench/\(worker)/\(index)", value: value, expectedRevision: revisions.get(worker, index))
            revisions.set(worker, index, kv.modRevision)
        }
        let stats = store.commitStatistics
        print(
            "skiff \(writers) writers: \(stats.writes) writes in \(stats.transactions) transactions "
                + "(\(String(format: "%.1f", Double(stats.writes) / Double(max(1, stats.transactions)))) per fsync)")
        return Row(system: "skiff", writers: writers, create: create, update: update)
    }

    func etcdRun(_ etcd: EtcdGateway, writers: Int, total: Int, value: [UInt8]) async throws -> Row {
        let run = UUID().uuidString.prefix(6)
        let revisions = RevisionTable(writers: writers, perWorker: max(1, total / writers))
        let create = await LoadRunner.run(concurrency: writers, total: total) { worker, index in
            let revision = try await etcd.put("/bench/\(run)/\(worker)/\(index)", value: value, ifModRevision: 0)
            revisions.set(worker, index, revision)
        }
        let update = await LoadRunner.run(concurrency: writers, total: total) { worker, index in
            let revision = try await etcd.put(
                "/bench/\(run)/\(worker)/\(index)", value: value, ifModRevision: revisions.get(worker, index))
            revisions.set(worker, index, revision)
        }
        return Row(system: "etcd", writers: writers, create: create, update: update)
    }

    static func report(_ rows: [Row]) -> String {
        func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "| writers | system | creates/s | create p50 ms | create p99 ms | updates/s | update p50 ms | update p99 ms | errors |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append(
                "| \(row.writers) | \(row.system) | \(format(row.create.perSecond)) | \(format(row.create.percentile(0.5), 2)) "
                    + "| \(format(row.create.percentile(0.99), 2)) | \(format(row.update.perSecond)) "
                    + "| \(format(row.update.percentile(0.5), 2)) | \(format(row.update.percentile(0.99), 2)) "
                    + "| \(row.create.errors + row.update.errors) |")
        }
        lines.append("")
        lines.append("| writers | skiff/etcd creates/s | skiff/etcd updates/s |")
        lines.append("|---:|---:|---:|")
        for skiff in rows where skiff.system == "skiff" {
            guard let etcd = rows.first(where: { $0.system == "etcd" && $0.writers == skiff.writers }) else { continue }
            lines.append(
                "| \(skiff.writers) | \(format(skiff.create.perSecond / etcd.create.perSecond, 2))× "
                    + "| \(format(skiff.update.perSecond / etcd.update.perSecond, 2))× |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Per-(worker, index) revisions remembered between the create and update phases.
final class RevisionTable: Sendable {
    private let revisions: Mutex<[[Int64]]>

    init(writers: Int, perWorker: Int) {
        revisions = Mutex(Array(repeating: Array(repeating: 0, count: perWorker), count: writers))
    }

    func set(_ worker: Int, _ index: Int, _ revision: Int64) { revisions.withLock { $0[worker][index] = revision } }
    func get(_ worker: Int, _ index: Int) -> Int64 { revisions.withLock { $0[worker][index] } }
}

/// etcd v3 transactions over the grpc-gateway: compare mod_revision, then put — what kube-apiserver sends for a
/// create (mod_revision 0) and a guaranteed update (the revision it read).
struct EtcdGateway: Sendable {
    struct Failure: Error { var message: String }

    let url: String
    let http: HTTPClient

    func put(_ key: String, value: [UInt8], ifModRevision revision: Int64) async throws -> Int64 {
        let k = Data(key.utf8).base64EncodedString()
        let v = Data(value).base64EncodedString()
        let body = """
            {"compare":[{"result":"EQUAL","target":"MOD","key":"\(k)","mod_revision":"\(revision)"}],\
            "success":[{"request_put":{"key":"\(k)","value":"\(v)"}}]}
            """
        var request = HTTPClientRequest(url: url + "/v3/kv/txn")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok, text.contains("\"succeeded\":true") else {
            throw Failure(message: "etcd txn failed: \(response.status) \(text.prefix(200))")
        }
        guard let range = text.range(of: "\"revision\":\""),
            let end = text[range.upperBound...].firstIndex(of: "\""),
            let revision = Int64(text[range.upperBound..<end])
        else { throw Failure(message: "etcd answer without revision: \(text.prefix(200))") }
        return revision
    }
}
