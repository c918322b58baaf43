import Foundation
import Logging
import Synchronization

/// A log handler that keeps records so tests can assert on what was logged.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(sink: self) }
        logger.logLevel = .debug
        return logger
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            all.merge(event.metadata ?? [:]) { $1 }
            let flat = all.mapValues { "\($0)" }
            sink.append(Record(level: event.level, message: "\(event.message)", metadata: flat))
            if ProcessInfo.processInfo.environment["SKIFF_TEST_LOG"] != nil {
                print("[\(event.level)] \(event.message) \(flat)")
            }
        }
    }
}

/// Integration tests need root (mounts, runc) and containerd, ctr and runc installed.
enum Host {
    static var isRoot: Bool { getuid() == 0 }

    static func has(_ tool: String) -> Bool {
        ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin"].contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    static var canRunContainerd: Bool {
        let ok =
            isRoot && has("containerd") && has("ctr") && has("runc") && has("python3")
            && FileManager.default.isExecutableFile(atPath: "/bin/busybox")
        if !ok {
            print(
                "SkiffContainerdTests: skipping containerd integration tests (need root, containerd, ctr, runc, python3 and busybox-static)"
            )
        }
        return ok
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (code: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Builds the test image archive (see Fixtures/make-test-images.py) at `path`.
    static func makeTestImages(at path: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/make-test-images.py").path
        let result = try run("/usr/bin/python3", [script, path])
        guard result.code == 0 else { throw TestFailure("make-test-images.py: \(result.output)") }
    }

    /// A fresh data dir under /tmp, short enough for the 108-byte socket limit.
    static func temporaryDataDir() -> String {
        let dir = "/tmp/skiff-cri-\(UUID().uuidString.prefix(8).lowercased())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Unmounts whatever containerd left mounted under `dir` (deepest first) and removes it.
    static func removeDataDir(_ dir: String) {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        let points = mounts.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 1, fields[1].hasPrefix(dir) else { return nil }
            return String(fields[1])
        }
        for point in points.sorted(by: { $0.count > $1.count }) {
            _ = try? run("/bin/umount", ["-l", point])
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
