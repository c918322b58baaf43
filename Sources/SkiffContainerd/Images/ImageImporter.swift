import Foundation
import Logging
import ServiceLifecycle
import SkiffModel
import Synchronization

/// Imports the image archives in `<data-dir>/agent/images/` (`*.tar`, `*.tar.gz`, `*.tar.zst`) into containerd's
/// `k8s.io` namespace and pins them, so pods start without a registry (airgap).
///
/// Uses the `ctr` binary that ships with containerd rather than containerd's gRPC content/images API: ctr reads both OCI
/// layouts and `docker save` archives, picks the platforms and unpacks the layers into the snapshotter; doing that over
/// gRPC would mean re-implementing archive parsing and unpacking. A broken archive is logged at error level and
/// skipped: the importer never throws.
public final class ImageImporter: Service {
    /// The result of importing one archive.
    public struct Imported: Sendable, Equatable {
        public var file: String
        public var images: [String]
    }

    /// Label that keeps the CRI plugin's image garbage collection away from an image.
    public static let pinnedLabel = "io.cri-containerd.pinned=pinned"

    private let paths: ContainerdPaths
    private let socket: String
    private let ctr: String
    private let pollInterval: Duration
    private let clock: ServiceClock
    private let logger: Logger
    private let scan = Mutex(ArchiveScan())

    public init(
        paths: ContainerdPaths, socket: String? = nil, ctr: String = "ctr", pollInterval: Duration = .seconds(1),
        clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.paths = paths
        self.socket = socket ?? paths.socket
        self.ctr = ctr
        self.pollInterval = pollInterval
        self.clock = clock
        self.logger = logger
    }

    /// Imports every archive not imported yet in this version; the agent awaits it before starting pods.
    @discardableResult
    public func importAll() async -> [Imported] {
        await importDue(requireStable: false)
    }

    /// Re-imports an archive within about two poll intervals of it being added or changed, until cancelled.
    public func watch() async {
        await clock.repeating(every: pollInterval) {
            _ = await importDue(requireStable: true)
        }
    }

    /// `watch()` until graceful shutdown (call `importAll()` first).
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.watch() }
    }

    private func importDue(requireStable: Bool) async -> [Imported] {
        let current = listArchives()
        let due = scan.withLock { $0.due(current, requireStable: requireStable) }
        var results: [Imported] = []
        for archive in due {
            if Task.isCancelled { break }
            if let images = await importArchive(archive) {
                results.append(Imported(file: archive.name, images: images))
            }
            scan.withLock { $0.markHandled(archive) }
        }
        return results
    }

    private func listArchives() -> [ArchiveFingerprint] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: paths.imagesDir) else { return [] }
        return names.compactMap { name in
            guard ArchiveCompression(fileName: name) != nil,
                let attributes = try? fm.attributesOfItem(atPath: "\(paths.imagesDir)/\(name)"),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { return nil }
            let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
            let modified = (attributes[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970 * 1e9) } ?? 0
            return ArchiveFingerprint(name: name, size: size, modified: modified)
        }
    }

    /// Imports one archive; nil (after logging why) when it could not be.
    private func importArchive(_ archive: ArchiveFingerprint) async -> [String]? {
        var logger = self.logger
        logger[metadataKey: "file"] = "\(archive.name)"
        logger[metadataKey: "size"] = "\(archive.size)"
        let started = clock.now
        guard let ctrPath = findExecutable(ctr) else {
            logger.error("\(ContainerdError.notInstalled(ctr))")
            return nil
        }
        let scratch = "\(paths.containerdDir)/import-tmp"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var tarPath = "\(paths.imagesDir)/\(archive.name)"
        let compression = ArchiveCompression(fileName: archive.name) ?? .none
        if compression != .none {
            let decompressor = compression == .gzip ? "gzip" : "zstd"
            let plain = "\(scratch)/archive.tar"
            let result = await run(decompressor, ["-dc", tarPath], stdoutFile: plain, scratch: scratch)
            guard result.code == 0 else {
                logger.error(
                    "image archive unreadable, skipped",
                    metadata: [
                        "error": "\(decompressor) exit \(result.code): \(CtrOutput.oneLine(result.output, limit: 500))"
                    ])
                return nil
            }
            tarPath = plain
        }

        let imported = await run(
            ctrPath, ["-a", socket, "-n", "k8s.io", "images", "import", "--all-platforms", tarPath], scratch: scratch)
        let images = CtrOutput.importedImages(imported.output)
        guard imported.code == 0, !images.isEmpty else {
            logger.error(
                "image archive import failed, skipped",
                metadata: ["error": "ctr exit \(imported.code): \(CtrOutput.oneLine(imported.output, limit: 500))"])
            return nil
        }
        for image in images {
            let labelled = await run(
                ctrPath, ["-a", socket, "-n", "k8s.io", "images", "label", image, Self.pinnedLabel], scratch: scratch)
            if labelled.code != 0 {
                logger.error(
                    "pinning imported image failed",
                    metadata: [
                        "image": "\(image)",
                        "error": "ctr exit \(labelled.code): \(CtrOutput.oneLine(labelled.output, limit: 300))",
                    ])
            }
        }
        let seconds =
            Double((clock.now - started).components.attoseconds) / 1e18
            + Double((clock.now - started).components.seconds)
        logger.info(
            "imported image archive",
            metadata: [
                "images": "\(images.joined(separator: ","))", "seconds": "\(String(format: "%.2f", seconds))",
            ])
        return images
    }

    /// Runs a tool with stdout (unless redirected) and stderr in a file under `scratch`; returns its exit code and
    /// combined output.
    private func run(
        _ executable: String, _ arguments: [String], stdoutFile: String? = nil, scratch: String
    ) async -> (code: Int32, output: String) {
        let outputPath = "\(scratch)/output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        guard let path = findExecutable(executable),
            FileManager.default.createFile(atPath: outputPath, contents: nil),
            let output = FileHandle(forWritingAtPath: outputPath)
        else { return (127, "\(executable): not found or scratch dir not writable") }
        defer { try? output.close() }
        var stdout = output
        if let stdoutFile {
            guard FileManager.default.createFile(atPath: stdoutFile, contents: nil),
                let file = FileHandle(forWritingAtPath: stdoutFile)
            else { return (1, "cannot write \(stdoutFile)") }
            stdout = file
        }
        defer { if stdoutFile != nil { try? stdout.close() } }
        do {
            let child = try ChildProcess(executable: path, arguments: arguments, stdout: stdout, stderr: output)
            let code = await child.exitCode()
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            return (code, text)
        } catch {
            return (127, "\(executable): \(error)")
        }
    }
}
