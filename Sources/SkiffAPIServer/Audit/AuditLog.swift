import Foundation
import Logging
import ServiceLifecycle
import SkiffModel

/// The audit log (`--audit-log-path`): requests hand their event to `record`, which never waits; the service writes
/// the lines in order off the request path and rotates the file by size, keeping `maxBackups` rotated files named
/// as upstream's (lumberjack) `audit-2026-12-06T19-48-45.123.log`. Events that find the buffer full are dropped and
/// counted in the log, as upstream's buffered backend does.
public final class AuditLog: Service, Sendable {
    let settings: AuditLogSettings
    let logger: Logger
    private let lines: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    static let bufferedEvents = 10_000

    public init(settings: AuditLogSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        (lines, continuation) = AsyncStream.makeStream(
            of: [UInt8].self, bufferingPolicy: .bufferingOldest(Self.bufferedEvents))
    }

    func record(_ event: AuditEvent) {
        var line = event.json.serialized()
        line.append(UInt8(ascii: "\n"))
        if case .dropped = continuation.yield(line) {
            logger.warning("audit log buffer full: an event was dropped", metadata: ["path": "\(settings.path)"])
        }
    }

    public func run() async throws {
        var file = try AuditLogFile(settings: settings)
        defer { file.close() }
        await withGracefulShutdownHandler {
            for await line in lines {
                do { try file.write(line) } catch {
                    logger.error("audit log write failed", metadata: ["path": "\(settings.path)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}

/// The open audit log file and its rotation.
struct AuditLogFile {
    let settings: AuditLogSettings
    private var handle: FileHandle
    private var size: Int

    init(settings: AuditLogSettings) throws {
        self.settings = settings
        let directory = (settings.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        (handle, size) = try Self.open(settings.path)
    }

    private static func open(_ path: String) throws -> (FileHandle, Int) {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let size = Int(try handle.seekToEnd())
        return (handle, size)
    }

    mutating func write(_ line: [UInt8]) throws {
        if size > 0, size + line.count > settings.maxBytes { try rotate() }
        try handle.write(contentsOf: line)
        size += line.count
    }

    /// Renames the full file to its backup name, opens a fresh one, and removes the oldest backups beyond the limit.
    private mutating func rotate() throws {
        try handle.close()
        let backup = Self.backupPath(settings.path, at: Date())
        try FileManager.default.moveItem(atPath: settings.path, toPath: backup)
        (handle, size) = try Self.open(settings.path)
        let backups = Self.backups(of: settings.path)
        for old in backups.dropLast(settings.maxBackups) { try? FileManager.default.removeItem(atPath: old) }
    }

    func close() { try? handle.close() }

    /// `dir/audit.log` → `dir/audit-2026-12-06T19-48-45.123.log` (UTC).
    static func backupPath(_ path: String, at date: Date) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().lastPathComponent
        let stamp = KubeTimestamp.microString(date).prefix(23).replacingOccurrences(of: ":", with: "-")
        let name = "\(base)-\(stamp)" + (ext.isEmpty ? "" : ".\(ext)")
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The rotated files of `path`, oldest first (their names sort by time).
    static func backups(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let base = url.deletingPathExtension().lastPathComponent + "-"
        let ext = url.pathExtension
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return
            names
            .filter { $0.hasPrefix(base) && (ext.isEmpty || $0.hasSuffix(".\(ext)")) }
            .sorted()
            .map { "\(directory)/\($0)" }
    }
}
